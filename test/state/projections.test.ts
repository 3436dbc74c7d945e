import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { progress } from "../../src/state/progress.js";
import { projection } from "../../src/state/projection.js";
import { failedTasks, runningTasks, tasksWithStatus } from "../../src/state/tasksWithStatus.js";
import type { WorkflowSnapshot } from "../../src/state/WorkflowSnapshot.js";
import { workflow } from "../../src/workflow/createWorkflow.js";
import { deferred, turns } from "../helpers.js";

describe("projections", () => {
  it("progress, failed and running tasks of a snapshot", async () => {
    const gate = deferred();
    const run = workflow("w")
      .task("ok", () => 1)
      .task("bad", () => {
        throw new Error("x");
      })
      .task("child", { after: ["bad"] }, () => 2)
      .task("slow", () => gate.promise)
      .task("waiting", { after: ["slow"] }, () => 3)
      .run();
    await turns(2);
    const s = run.snapshot();
    assert.deepEqual(progress(s), { total: 5, done: 3, running: 1, pending: 1, ratio: 0.6 });
    assert.deepEqual(
      failedTasks(s).map((t) => t.name),
      ["bad"],
    );
    assert.deepEqual(
      runningTasks(s).map((t) => t.name),
      ["slow"],
    );
    assert.deepEqual(
      tasksWithStatus(s, "skipped").map((t) => [t.name, t.skippedBecause]),
      [["child", "bad"]],
    );
    assert.ok(Object.isFrozen(failedTasks(s)));
    gate.resolve();
    const r = await run;
    assert.equal(progress(r.snapshot).ratio, 1);
  });

  it("projection() computes once per snapshot", async () => {
    let calls = 0;
    const names = projection((s: WorkflowSnapshot) => {
      calls++;
      return [...s.tasks()].map((t) => t.name);
    });
    const r = await workflow("w")
      .task("a", () => 1)
      .run();
    assert.deepEqual(names(r.snapshot), ["a"]);
    assert.equal(names(r.snapshot), names(r.snapshot));
    assert.equal(calls, 1);
  });

  it("progress of an empty run is complete", async () => {
    const r = await workflow("empty").run();
    assert.equal(progress(r.snapshot).ratio, 1);
  });
});
