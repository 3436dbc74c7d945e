import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, worker, child } from "../../src/index.js";
import { collect } from "../helpers.js";

const module = new URL("../fixtures/conformance/stages.mjs", import.meta.url);

describe("pool stages in a plan", () => {
  it("colocates adjacent stages of the same module and pool: one step, one crossing per batch", async () => {
    const p = pipeline("co")
      .from(Array.from({ length: 1000 }, (_, i) => i))
      .map(worker<number, number>(module, "inc", { maxWorkers: 2 }), { concurrency: 2, name: "inc" })
      .filter(worker<number, boolean>(module, "isEven", { maxWorkers: 2 }), { name: "even" })
      .flatMap(worker<number, number[]>(module, "explode", { maxWorkers: 2 }), { name: "explode" })
      .map((x: number) => -x, { name: "negate" });
    const plan = p.plan();
    assert.deepEqual(
      plan.steps.map((s) => [s.head, ...s.fused]),
      [["source"], ["inc", "even", "explode", "negate"]],
    );
    const even = plan.stages.find((s) => s.name === "even")!;
    assert.equal(even.context, "worker");
    assert.match(even.reason, /colocated with "inc" in its worker pool/);
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1)
      .filter((x) => x % 2 === 0)
      .flatMap((x) => [-x, -x * 10]);
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
    assert.deepEqual(
      plan.steps.map((s) => [s.head, ...s.fused]),
      [["source"], ["a"], ["other-context"], ["b"], ["retried"], ["other-pool"]],
    );
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
    assert.deepEqual(
      plan.steps.map((s) => [s.head, ...s.fused]),
      [["source"], ["a", "b", "c"]],
    );
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
    await assert.rejects(
      p.run(),
      (e: unknown) =>
        (e as { code?: string; stage?: string }).code === "WEIR_STAGE_FAILED" &&
        (e as { stage?: string }).stage === "b",
    );
    // with the head's policy, the same failure is dead-lettered, as it would be in a stage of its own
    const r = await pipeline("co")
      .from([1, 2, 4])
      .map(w("inc"), { name: "a", onError: "dead-letter", retry: 2 })
      .map(w("failOn3"), { name: "b", onError: "dead-letter", retry: 2 })
      .run();
    assert.deepEqual(
      r.deadLetters.map((d) => [d.index, d.attempts]),
      [[1, 2]],
    );
    assert.equal(r.stats.b!.out, 2);
  });

  for (const [context, make] of [
    ["worker", worker],
    ["child", child],
  ] as const) {
    it(`${context}: a failure in a later stage of a chain is that stage's, with the value it was given; each function sees its own ctx.stage`, async () => {
      const stage = (name: string) => make<unknown, unknown>(module, name, { maxWorkers: 1 });
      const policy = { onError: "dead-letter" } as const;
      const errors: Array<[string, unknown]> = [];
      const p = pipeline("co")
        .from([1, 2, 4])
        .map(stage("inc"), { name: "a", ...policy })
        .map(stage("failOn3"), { name: "b", ...policy })
        .map(stage("stageOf"), { name: "c", ...policy });
      assert.deepEqual(
        p.plan().steps.map((s) => [s.head, ...s.fused]),
        [["source"], ["a", "b", "c"]],
      );
      const run = p.run();
      run.on("stage:error", (e) => void errors.push([e.stage, e.item]));
      const r = await run;
      assert.deepEqual(
        r.deadLetters.map((d) => [d.stage, d.index, d.item, d.attempts]),
        [["b", 1, 3, 1]],
        "b failed, given 3 (a's output)",
      );
      assert.equal((r.deadLetters[0]!.error as Error).message, "bad item 3");
      assert.deepEqual(errors, [["b", 3]]);

      // the async path, a flatMap before the failure (one value of several fails the item), and "fail"
      const failing = pipeline("co")
        .from([0, 2, 5])
        .map(stage("inc"), { name: "a" })
        .flatMap(make<unknown, number[]>(module, "explode", { maxWorkers: 1 }), { name: "b" })
        .map(stage("asyncFailOn3"), { name: "c" });
      await assert.rejects(failing.run(), (e: unknown) => {
        const s = e as { code?: string; stage?: string; item?: unknown; index?: number };
        return s.code === "WEIR_STAGE_FAILED" && s.stage === "c" && s.item === 3 && s.index === 1;
      });

      // a failure in the chain's first stage stays the head's; outputs show each stage's own name
      const out: unknown[] = [];
      const head = await pipeline("co")
        .from([3, 4])
        .map(stage("failOn3"), { name: "a", ...policy })
        .map(stage("stageOf"), { name: "b", ...policy })
        .to((v) => void out.push(v))
        .run();
      assert.deepEqual(
        head.deadLetters.map((d) => [d.stage, d.item]),
        [["a", 3]],
      );
      assert.deepEqual(out, [{ x: 4, stage: "b" }]);

      // a value that cannot cross back: the stage is still the one that failed, the item the chain's input
      const uncrossable = await pipeline("co")
        .from([7])
        .map(stage("withSymbol"), { name: "a", ...policy })
        .map(stage("reject"), { name: "b", ...policy })
        .run();
      assert.deepEqual(
        uncrossable.deadLetters.map((d) => [d.stage, d.item]),
        [["b", 7]],
      );
    });
  }

  it("sizes the channel in front of a pool stage per worker, not to its largest window", () => {
    const plan = pipeline("co")
      .from([1])
      .map(worker<number, number>(module, "inc", { maxWorkers: 4, maxBatchSize: 100, batchesPerWorker: 2 }), {
        concurrency: 3,
      })
      .plan();
    assert.equal(plan.steps[1]!.input!.capacity, 3 * 128);
    assert.equal(plan.steps[1]!.pool?.window, 3 * 2 * 100);
  });
});
