import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, worker, child } from "../../src/index.js";

const module = new URL("../fixtures/conformance/stages.mjs", import.meta.url);

async function collect<T>(s: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of s) out.push(x);
  return out;
}

describe("pool stages in a plan", () => {
  it("colocates adjacent stages of the same module and pool: one step, one crossing per batch", async () => {
    const p = pipeline("co")
      .from(Array.from({ length: 1000 }, (_, i) => i))
      .map(worker<number, number>(module, "inc", { maxWorkers: 2 }), { concurrency: 2, name: "inc" })
      .filter(worker<number, boolean>(module, "isEven", { maxWorkers: 2 }), { name: "even" })
      .flatMap(worker<number, number[]>(module, "explode", { maxWorkers: 2 }), { name: "explode" })
      .map((x: number) => -x, { name: "negate" });
    const plan = p.plan();
    assert.deepEqual(plan.steps.map((s) => [s.head, ...s.fused]), [["source"], ["inc", "even", "explode", "negate"]]);
    const even = plan.stages.find((s) => s.name === "even")!;
    assert.equal(even.context, "worker");
    assert.match(even.reason, /colocated with "inc" in its worker pool/);
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1).filter((x) => x % 2 === 0).flatMap((x) => [-x, -x * 10]);
    const got = await collect(p.stream());
    assert.deepEqual(got, expected);
  });

  it("does not colocate across pools, contexts, or a stage with options of its own", () => {
    const w = (name: string) => worker<number, number>(module, name, { maxWorkers: 2 });
    const plan = pipeline("co")
      .from([1])
      .map(w("inc"), { name: "a" })
      .map(child<number, number>(module, "inc", { maxWorkers: 2 }), { name: "other-context" })
      .map(w("inc"), { name: "b" })
      .map(w("inc"), { name: "retried", retry: 3 })
      .map(worker<number, number>(module, "inc", { maxWorkers: 1 }), { name: "other-pool" })
      .plan();
    assert.deepEqual(plan.steps.map((s) => [s.head, ...s.fused]), [["source"], ["a"], ["other-context"], ["b"], ["retried"], ["other-pool"]]);
  });

  it("sizes the channel in front of a pool stage to its largest window", () => {
    const plan = pipeline("co").from([1]).map(worker<number, number>(module, "inc", { maxWorkers: 2, maxBatchSize: 100, batchesPerWorker: 2 }), { concurrency: 2 }).plan();
    assert.equal(plan.steps[1]!.input!.capacity, 2 * 2 * 100);
  });
});
