/**
 * A worker thread loads msgpackr when a frame first needs it: only batches and results travel as
 * msgpack frames (objects in them), every other message by structured clone, so a thread whose
 * items and values are numbers or strings starts without it (bench/README.md, "A thread loads
 * msgpackr when a frame first needs it"). Each case starts a pool of its own (its `workerData`
 * differs), so its thread is fresh. test/packaging/bundle.test.ts asks the same of the built package.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pipeline, worker } from "../../src/index.js";
import { fns } from "./harness.js";

/** What `msgpackrLoaded` answered in a fresh thread for each item, its workerData checked on the way. */
async function loadedFor(
  items: readonly unknown[],
  tag: string,
  wire: "msgpack" | "ipc" = "msgpack",
): Promise<number[]> {
  const out: number[] = [];
  await pipeline<unknown>("lazy")
    .from(items)
    .map(worker<unknown, number>(fns, "msgpackrLoaded", { maxWorkers: 1, workerData: { tag }, wire }))
    .to((x) => void out.push(x))
    .run();
  return out;
}

describe("a worker thread loads msgpackr on the first frame", () => {
  it("not for numbers: the start message, the batches and the results go without it", async () => {
    // batches of at least eight numbers travel in typed arrays
    const items = Array.from({ length: 200 }, (_, k) => k / 2);
    assert.deepEqual(
      await loadedFor(items, "numbers"),
      items.map(() => 0),
    );
  });

  it("not for a handful of numbers (a batch of four: slow items travel so)", async () => {
    assert.deepEqual(await loadedFor([1, 2.5, -0, 4], "few numbers"), [0, 0, 0, 0]);
  });

  it("not for strings", async () => {
    const items = ["a", "b", "c", ...Array.from({ length: 200 }, (_, k) => `s${k}`)];
    assert.deepEqual(
      await loadedFor(items, "strings"),
      items.map(() => 0),
    );
  });

  it("for objects: their batch is a frame, which it decodes with msgpackr", async () => {
    assert.deepEqual(await loadedFor([{ a: 1 }, { a: 2 }], "objects"), [1, 1]);
  });

  it('not for objects on the "ipc" wire (structured clone both ways)', async () => {
    assert.deepEqual(await loadedFor([{ a: 1 }, { a: 2 }], "objects-ipc", "ipc"), [0, 0]);
  });

  it("the start message is a structured clone: workerData's -0 reaches the thread as -0", async () => {
    const out: unknown[] = [];
    await pipeline<string>("data")
      .from(["z"])
      .map(worker<string, unknown>(fns, "workerDataField", { maxWorkers: 1, workerData: { z: -0, tag: "minus zero" } }))
      .to((x) => void out.push(x))
      .run();
    assert.ok(Object.is(out[0], -0), `got ${String(out[0])}`);
  });
});
