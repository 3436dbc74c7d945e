import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CycleError, InvalidOptionError, workflow, WorkflowError, type TaskSpec } from "../../src/index.js";

const noop = (): void => {};

/** The builder as plain JavaScript sees it: no type checks, so the run-time checks are what stop mistakes. */
interface Untyped {
  task(name: unknown, optionsOrFn?: unknown, fn?: unknown): Untyped;
}
const untyped = (wf: unknown): Untyped => wf as Untyped;

describe("workflow validation", () => {
  it("rejects a duplicate task name where it is defined", () => {
    const wf = untyped(workflow("w").task("a", noop));
    assert.throws(
      () => wf.task("a", noop),
      (e: unknown) =>
        e instanceof WorkflowError && e.code === "WEIR_DUPLICATE_NAME" && e.workflow === "w" && e.task === "a",
    );
  });

  it("rejects an unknown dependency, naming the task and the dependency", () => {
    const wf = untyped(workflow("w").task("a", noop));
    assert.throws(
      () => wf.task("b", { after: ["missing"] }, noop),
      (e: unknown) =>
        e instanceof WorkflowError &&
        e.code === "WEIR_WORKFLOW_INVALID" &&
        e.task === "b" &&
        /"missing"/.test(e.message),
    );
  });

  it("rejects a cycle in a batch of tasks, naming the tasks on it", () => {
    const specs: TaskSpec[] = [
      { name: "a", run: noop },
      { name: "b", after: ["a", "d"], run: noop },
      { name: "c", after: ["b"], run: noop },
      { name: "d", after: ["c"], run: noop },
    ];
    assert.throws(
      () => workflow("w").tasks(specs),
      (e: unknown) => {
        assert.ok(e instanceof CycleError);
        assert.equal(e.code, "WEIR_CYCLE");
        assert.deepEqual(new Set(e.cycle), new Set(["b", "c", "d"]));
        assert.equal(e.cycle[0], e.cycle.at(-1), "the first task is repeated at the end");
        return true;
      },
    );
  });

  it("rejects a task that depends on itself", () => {
    assert.throws(() => workflow("w").tasks([{ name: "a", after: ["a"], run: noop }]), CycleError);
    assert.throws(() => untyped(workflow("w")).task("a", { after: ["a"] }, noop), CycleError);
  });

  it("accepts a batch in any order and schedules it in dependency order", async () => {
    const order: string[] = [];
    const wf = workflow("w")
      .task("root", () => void order.push("root"))
      .tasks([
        { name: "z", after: ["y"], run: () => void order.push("z") },
        { name: "y", after: ["root"], run: () => void order.push("y") },
      ]);
    assert.deepEqual(wf.taskNames, ["root", "y", "z"]);
    const r = await wf.run({ concurrency: 1 });
    assert.equal(r.ok, true);
    assert.deepEqual(order, ["root", "y", "z"]);
  });

  it("rejects duplicates and unknown dependencies inside a batch", () => {
    assert.throws(
      () =>
        workflow("w").tasks([
          { name: "a", run: noop },
          { name: "a", run: noop },
        ]),
      { code: "WEIR_DUPLICATE_NAME" },
    );
    assert.throws(() => workflow("w").tasks([{ name: "a", after: ["x"], run: noop }]), {
      code: "WEIR_WORKFLOW_INVALID",
    });
  });

  it("validates task options where they are written, naming the option", () => {
    const w = untyped(workflow("w"));
    const bad: [unknown, string][] = [
      [{ priority: "high" }, "priority"],
      [{ retry: { attempts: 0 } }, "retry.attempts"],
      [{ timeoutMs: 0 }, "timeoutMs"],
      [{ onFailure: "explode" }, "onFailure"],
      [{ context: "gpu" }, "context"],
      [{ context: "worker" }, "executor"],
      [{ concurency: 3 }, "concurency"],
      [{ after: "a" }, "after"],
    ];
    for (const [options, option] of bad) {
      assert.throws(
        () => w.task("t", options, noop),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option && /task "t"/.test(e.message),
        `option ${option}`,
      );
    }
    assert.throws(() => w.task("t", {}, 42), InvalidOptionError);
    assert.throws(() => workflow(""), InvalidOptionError);
  });

  it("validates run options when run() is called", () => {
    const wf = workflow("w").task("a", noop);
    assert.throws(
      () => wf.run({ concurrency: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "concurrency",
    );
    assert.throws(
      () => wf.run({ reuse: {} as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "reuse",
    );
    assert.throws(
      () => wf.run({ only: ["b" as "a"] }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "only[0]",
    );
  });

  it("is immutable: a builder extended twice gives two independent workflows", async () => {
    const base = workflow("w").task("a", () => 1);
    const left = base.task("b", { after: ["a"] }, ({ results }) => results.a + 1);
    const right = base.task("b", { after: ["a"] }, ({ results }) => results.a + 100);
    assert.equal(base.size, 1);
    assert.equal((await left.run()).results.b, 2);
    assert.equal((await right.run()).results.b, 101);
    assert.equal((await left.run()).results.b, 2);
  });
});
