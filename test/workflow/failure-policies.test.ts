import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, TaskError, workflow } from "../../src/index.js";
import { deferred, turns } from "../helpers.js";

const boom = (): never => {
  throw new Error("boom");
};

describe("onFailure", () => {
  it('"skip-dependents" (default): descendants are skipped with the cause, other branches go on', async () => {
    const r = await workflow("w")
      .task("bad", boom)
      .task("child", { after: ["bad"] }, () => 1)
      .task("grandchild", { after: ["child"] }, () => 2)
      .task("other", () => 3)
      .task("otherChild", { after: ["other"] }, ({ results }) => results.other + 1)
      .run();
    assert.equal(r.ok, false);
    assert.equal(r.state, "failed");
    assert.equal(r.tasks.bad?.status, "failed");
    assert.equal((r.tasks.bad?.error as Error).message, "boom");
    assert.equal(r.tasks.child?.status, "skipped");
    assert.equal(r.tasks.child?.skippedBecause, "bad");
    assert.equal(r.tasks.grandchild?.status, "skipped");
    assert.equal(r.tasks.grandchild?.skippedBecause, "bad");
    assert.equal(r.results.otherChild, 4);
    assert.ok(r.error instanceof TaskError);
    assert.equal((r.error as TaskError).task, "bad");
    assert.deepEqual(r.counts, { pending: 0, running: 0, completed: 2, failed: 1, skipped: 2, cancelled: 0 });
  });

  it('"fail-workflow": running tasks are cancelled (signal aborted), the rest marked cancelled', async () => {
    const never = deferred();
    let runningSignal: AbortSignal | undefined;
    const bad = deferred();
    const run = workflow("w")
      .task("long", ({ signal }) => {
        runningSignal = signal;
        return never.promise;
      })
      .task("bad", { onFailure: "fail-workflow" }, () => bad.promise)
      .task("later", { after: ["long"] }, () => 1)
      .run();
    await turns(2);
    bad.reject(new Error("fatal"));
    const r = await run;
    assert.equal(r.state, "failed");
    assert.ok(r.error instanceof TaskError && r.error.code === "WEIR_TASK_FAILED" && r.error.task === "bad");
    assert.equal(r.tasks.bad?.status, "failed");
    assert.equal(r.tasks.long?.status, "cancelled");
    assert.ok(r.tasks.long?.error instanceof CancelledError);
    assert.equal(r.tasks.later?.status, "cancelled");
    assert.equal(runningSignal?.aborted, true);
    assert.equal(run.signal.aborted, true);
  });

  it('"continue": dependents run; the failed result is undefined and its error is in ctx.errors', async () => {
    let seen: { result: unknown; errors: Record<string, unknown> } | undefined;
    const r = await workflow("w")
      .task("flaky", { onFailure: "continue" }, (): number => boom())
      .task("ok", () => 1)
      .task("after", { after: ["flaky", "ok"] }, ({ results, errors }) => {
        seen = { result: results.flaky, errors: { ...errors } };
        return results.ok;
      })
      .run();
    assert.equal(r.tasks.after?.status, "completed");
    assert.equal(seen?.result, undefined);
    assert.deepEqual(Object.keys(seen?.errors ?? {}), ["flaky"]);
    assert.equal(r.ok, false, "a failed task makes the run not ok, even under continue");
  });

  it("an async rejection and a synchronous throw fail the same way", async () => {
    const r = await workflow("w")
      .task("sync", boom)
      .task("async", async () => boom())
      .run();
    assert.equal(r.tasks.sync?.status, "failed");
    assert.equal(r.tasks.async?.status, "failed");
  });
});
