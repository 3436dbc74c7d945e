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

  it("colocates a later stage whose policies equal its head's (concurrency 1 or the head's)", () => {
    const w = (name: string) => worker<number, number>(module, name, { maxWorkers: 2 });
    const policy = { onError: "dead-letter", retry: 2, timeoutMs: 5_000 } as const;
    const plan = pipeline("co")
      .from([1])
      .map(w("inc"), { name: "a", concurrency: 2, ...policy })
      .map(w("inc"), { name: "b", concurrency: 2, ...policy })
      .map(w("inc"), { name: "c", ...policy })
      .plan();
    assert.deepEqual(plan.steps.map((s) => [s.head, ...s.fused]), [["source"], ["a", "b", "c"]]);
  });

  it("keeps a stage apart when its error policy differs from the chain head's: a failure there is its own", async () => {
    const w = (name: string) => worker<number, number>(module, name, { maxWorkers: 1 });
    const p = pipeline("co")
      .from([1, 2, 4])
      .map(w("inc"), { name: "a", onError: "dead-letter", retry: 2 })
      .map(w("failOn3"), { name: "b" }); // onError "fail" (the default): 2 + 1 = 3 fails the run
    const b = p.plan().stages.find((s) => s.name === "b")!;
    assert.equal(b.fused, false);
    assert.match(b.reason, /same pool as "a", but .* options differ/);
    await assert.rejects(p.run(), (e: unknown) => (e as { code?: string; stage?: string }).code === "WEIR_STAGE_FAILED" && (e as { stage?: string }).stage === "b");
    // with the head's policy, the same failure is dead-lettered, as it would be in a stage of its own
    const r = await pipeline("co")
      .from([1, 2, 4])
      .map(w("inc"), { name: "a", onError: "dead-letter", retry: 2 })
      .map(w("failOn3"), { name: "b", onError: "dead-letter", retry: 2 })
      .run();
    assert.deepEqual(r.deadLetters.map((d) => [d.index, d.attempts]), [[1, 2]]);
    assert.equal(r.stats.b!.out, 2);
  });

  it("sizes the channel in front of a pool stage to its largest window", () => {
    const plan = pipeline("co").from([1]).map(worker<number, number>(module, "inc", { maxWorkers: 2, maxBatchSize: 100, batchesPerWorker: 2 }), { concurrency: 2 }).plan();
    assert.equal(plan.steps[1]!.input!.capacity, 2 * 2 * 100);
  });
});
