import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline } from "../../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("stream() keeps memory flat however long it is read", () => {
  it("a reader that waits on every item retains nothing per wait (heap after GC, 20,000 vs 220,000 items)", () => {
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", "test/fixtures/faults/stream-heap.ts", "20000", "220000"],
      { cwd: root, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const [early, late] = JSON.parse(r.stdout) as [number, number];
    // before the fix each wait left a reaction on the run's promise: +46 MB over these 200,000
    // waits here (+177 MB over 400,000 in the drill); flat now, so 10 MB is a wide margin
    assert.ok(
      late - early < 10_000_000,
      `heap grew by ${((late - early) / 1e6).toFixed(1)} MB from 20,000 to 220,000 items`,
    );
  });

  it("a run that fails or is cancelled ends a waiting reader (the wait does not hang on the tap)", async () => {
    const it = pipeline<number>("p")
      .from(async function* () {
        yield 1;
        await new Promise((r) => setTimeout(r, 5));
        throw new Error("gone");
      })
      .stream()
      [Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: 1 });
    await assert.rejects(it.next(), /source .* failed after 1 items; all 1 went through: gone/);

    const ac = new AbortController();
    const it2 = pipeline<number>("p")
      .from(async function* () {
        yield 1;
        await new Promise(() => {}); // waits forever
      })
      .stream({ signal: ac.signal })
      [Symbol.asyncIterator]();
    assert.deepEqual(await it2.next(), { done: false, value: 1 });
    const waiting = it2.next();
    ac.abort(new Error("user"));
    await assert.rejects(waiting, (e: unknown) => (e as { code?: string }).code === "WEIR_CANCELLED");
  });
});
