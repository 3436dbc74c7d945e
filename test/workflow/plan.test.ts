import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow } from "../../src/workflow/Workflow.js";

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
    assert.equal(plan.maxParallelism, 2);
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
  });
});
