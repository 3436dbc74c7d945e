import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow, worker, child, InvalidOptionError } from "../../src/index.js";

const module = new URL("../fixtures/workflow/tasks.mjs", import.meta.url);

describe("workflow tasks in pools", () => {
  it("a worker() task gets its dependency results and returns a typed result", async () => {
    const wf = workflow("pooled")
      .task("a", () => 2)
      .task("b", () => 40)
      .task("sum", { after: ["a", "b"] }, worker<{ a: number; b: number }, { total: number; attempt: number }>(module, "sum", { maxWorkers: 1 }));
    const r = await wf.run();
    assert.ok(r.ok, String(r.error));
    const total: number | undefined = r.results.sum?.total;
    assert.equal(total, 42);
    assert.equal(r.results.sum?.attempt, 1);
    assert.equal(wf.plan().tasks.find((t) => t.name === "sum")!.context, "worker");
  });

  it("a child() task runs in another process", async () => {
    const r = await workflow("pooled").task("where", {}, child<Record<string, never>, number>(module, "pid", { maxWorkers: 1 })).run();
    assert.ok(r.ok, String(r.error));
    assert.equal(typeof r.results.where, "number");
    assert.notEqual(r.results.where, process.pid);
  });

  it("rejects a context that contradicts the pool", () => {
    assert.throws(
      () => workflow("pooled").task("x", { context: "async" }, worker(module, "pid")),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "context",
    );
  });
});
