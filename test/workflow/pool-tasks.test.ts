import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow, worker, child, InvalidOptionError } from "../../src/index.js";

const module = new URL("../fixtures/workflow/tasks.mjs", import.meta.url);

// Type-level checks (this file must typecheck; each `@ts-expect-error` line must be an error): a
// worker()/child() task's declared input must be what its dependencies give it.
const deps = workflow("typed")
  .task("a", () => 2)
  .task("b", () => "text");
const sumWorker = worker<{ a: number; b: number }, number>(module, "sum");
// @ts-expect-error: "b" gives a string, the worker wants a number
const wrongType = (): unknown => deps.task("sum", { after: ["a", "b"] }, sumWorker);
const missing = (): unknown =>
  // @ts-expect-error: the worker wants "c", which is not a dependency
  deps.task("sum", { after: ["a"] }, worker<{ a: number; c: number }, number>(module, "sum"));
// @ts-expect-error: a child() task is checked the same way
const wrongChild = (): unknown => deps.task("sum", { after: ["b"] }, child<{ b: number }, number>(module, "sum"));
// fine: the worker reads only part of what it gets; its output types the result
const partial = deps.task("sum", { after: ["a", "b"] }, worker<{ a: number }, number>(module, "sum"));
const partialResult = (r: Awaited<ReturnType<typeof partial.run>>): number | undefined => r.results.sum;
void [wrongType, missing, wrongChild, partial, partialResult];

describe("workflow tasks in pools", () => {
  it("a worker() task gets its dependency results and returns a typed result", async () => {
    const wf = workflow("pooled")
      .task("a", () => 2)
      .task("b", () => 40)
      .task(
        "sum",
        { after: ["a", "b"] },
        worker<{ a: number; b: number }, { total: number; attempt: number }>(module, "sum", { maxWorkers: 1 }),
      );
    const r = await wf.run();
    assert.ok(r.ok, String(r.error));
    const total: number | undefined = r.results.sum?.total;
    assert.equal(total, 42);
    assert.equal(r.results.sum?.attempt, 1);
    assert.equal(wf.plan().tasks.find((t) => t.name === "sum")!.context, "worker");
  });

  it("a child() task runs in another process", async () => {
    const r = await workflow("pooled")
      .task("where", {}, child<Record<string, never>, number>(module, "pid", { maxWorkers: 1 }))
      .run();
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
