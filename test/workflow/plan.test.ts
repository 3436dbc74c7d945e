import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { workflow, type TaskSpec } from "../../src/index.js";
import { exactWidthLimit } from "../../src/workflow/plan/graphWidth.js";

const noop = (): void => {};

describe("wf.plan()", () => {
  //  a ─▶ b ─▶ d ─▶ e
  //  a ─▶ c ───────▶ e      f (alone)
  const wf = workflow("w")
    .task("a", noop)
    .task("b", { after: ["a"] }, noop)
    .task("c", { after: ["a"], priority: 5 }, noop)
    .task("d", { after: ["b"] }, noop)
    .task("e", { after: ["c", "d"] }, noop)
    .task("f", { context: "inline" }, noop);

  it("reports levels, remaining paths, the critical path and maximum parallelism", () => {
    const plan = wf.plan();
    assert.deepEqual(plan.levels, [["a", "f"], ["b", "c"], ["d"], ["e"]]);
    assert.deepEqual(plan.criticalPath, ["a", "b", "d", "e"]);
    assert.equal(plan.widestLevel, 2);
    assert.equal(plan.maxParallelism, 3, "b, c and f (or d, c and f) can run at once");
    assert.equal(plan.maxParallelismExact, true);
    assert.equal(plan.taskCount, 6);
    assert.equal(plan.edgeCount, 5);
    const byName = Object.fromEntries(plan.tasks.map((t) => [t.name, t]));
    assert.equal(byName.a?.remainingPath, 4);
    assert.equal(byName.c?.remainingPath, 2);
    assert.equal(byName.c?.priority, 5);
    assert.equal(byName.f?.context, "inline");
    assert.equal(byName.e?.level, 3);
    assert.equal(byName.e?.onFailure, "skip-dependents");
  });

  it("is plain JSON-serializable data", () => {
    const plan = wf.plan();
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  });

  it("plans an empty workflow", () => {
    const plan = workflow("empty").plan();
    assert.deepEqual(plan.levels, []);
    assert.deepEqual(plan.criticalPath, []);
    assert.equal(plan.maxParallelism, 0);
    assert.equal(plan.widestLevel, 0);
  });

  it("maxParallelism is the true maximum, above the widest level: a0 → {a1, a2} and b0 run 3 at once", async () => {
    const plan = workflow("w")
      .task("a0", noop)
      .task("a1", { after: ["a0"] }, noop)
      .task("a2", { after: ["a0"] }, noop)
      .task("b0", noop)
      .plan();
    assert.deepEqual(plan.levels, [
      ["a0", "b0"],
      ["a1", "a2"],
    ]);
    assert.equal(plan.widestLevel, 2);
    assert.equal(plan.maxParallelism, 3);
    // and a run with a slow b0 does have 3 running at once
    let running = 0;
    let peak = 0;
    const step = (turns: number) => async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
      running--;
    };
    const r = await workflow("w")
      .task("a0", step(1))
      .task("a1", { after: ["a0"] }, step(3))
      .task("a2", { after: ["a0"] }, step(3))
      .task("b0", step(6))
      .run({ concurrency: 10 });
    assert.equal(r.ok, true);
    assert.equal(peak, 3);
  });

  it("maxParallelism equals the largest antichain found by brute force (property, small random DAGs)", () => {
    const dagArb = fc.integer({ min: 1, max: 11 }).chain((n) =>
      fc
        .array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }), {
          minLength: n,
          maxLength: n,
        })
        .map((m) => ({ n, m })),
    );
    fc.assert(
      fc.property(dagArb, ({ n, m }) => {
        // an edge j → i (j < i) with probability 1/4
        const deps = Array.from({ length: n }, (_, i) =>
          Array.from({ length: i }, (_, j) => j).filter((j) => m[i]![j] === 0),
        );
        const specs: TaskSpec[] = deps.map((d, i) => ({ name: `t${i}`, after: d.map((j) => `t${j}`), run: noop }));
        const plan = workflow("w").tasks(specs).plan();
        // ancestors by brute force
        const anc = deps.map(() => new Set<number>());
        for (let i = 0; i < n; i++) for (const j of deps[i]!) for (const a of [j, ...anc[j]!]) anc[i]!.add(a);
        let best = 0;
        for (let mask = 1; mask < 1 << n; mask++) {
          const members = Array.from({ length: n }, (_, i) => i).filter((i) => (mask >> i) & 1);
          if (members.length <= best) continue;
          if (members.every((a) => members.every((b) => a === b || !anc[a]!.has(b)))) best = members.length;
        }
        assert.equal(plan.maxParallelism, best);
        assert.ok(plan.widestLevel <= best);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it("past the exact limit it reports a lower bound, and says so", () => {
    const n = exactWidthLimit + 1;
    // a chain with a leaf hanging off each task: widest level 2, but every leaf can run at once
    const specs: TaskSpec[] = [];
    for (let i = 0; i < n; i += 2) {
      specs.push({ name: `c${i}`, after: i === 0 ? [] : [`c${i - 2}`], run: noop });
      specs.push({ name: `leaf${i}`, after: [`c${i}`], run: noop });
    }
    const plan = workflow("big").tasks(specs).plan();
    assert.equal(plan.maxParallelismExact, false);
    assert.equal(plan.widestLevel, 2);
    assert.ok(
      plan.maxParallelism >= n / 2,
      `lower bound ${plan.maxParallelism}: the leaves (remaining path 1) are an antichain`,
    );
  });
});
