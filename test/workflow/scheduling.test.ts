import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow } from "../../src/index.js";
import { deferred, turns } from "../helpers.js";

describe("workflow scheduling", () => {
  it("starts a task as soon as its own dependencies are done (no level barriers)", async () => {
    const slow = deferred<number>();
    const started: string[] = [];
    const run = workflow("w")
      .task("slow", () => slow.promise)
      .task("fast", () => 1)
      .task("afterFast", { after: ["fast"] }, () => void started.push("afterFast"))
      .task("afterSlow", { after: ["slow"] }, () => void started.push("afterSlow"))
      .run();
    await turns(3);
    assert.deepEqual(started, ["afterFast"], "a level-2 task ran while a level-1 task is still running");
    assert.equal(run.snapshot().task("slow")?.status, "running");
    slow.resolve(1);
    const r = await run;
    assert.deepEqual(started, ["afterFast", "afterSlow"]);
    assert.equal(r.ok, true);
  });

  it("passes dependency results to the task", async () => {
    const r = await workflow("w")
      .task("a", async () => 2)
      .task("b", () => 3)
      .task("sum", { after: ["a", "b"] }, ({ results }) => results.a + results.b)
      .run();
    assert.equal(r.results.sum, 5);
    assert.equal(r.tasks.sum?.status, "completed");
  });

  it("never runs more async tasks than the concurrency cap", async () => {
    let running = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await turns(1);
      running--;
    };
    const wf = workflow("w").tasks(Array.from({ length: 20 }, (_, i) => ({ name: `t${i}`, run: task })));
    const r = await wf.run({ concurrency: 3 });
    assert.equal(r.ok, true);
    assert.equal(peak, 3);
  });

  it("starts higher priority first, then the longest remaining path, then definition order", async () => {
    const order: string[] = [];
    const log = (name: string) => (): void => void order.push(name);
    // short and long are both ready at once; long heads a 3-task chain (critical path)
    const r = await workflow("w")
      .task("short", log("short"))
      .task("long", log("long"))
      .task("long2", { after: ["long"] }, log("long2"))
      .task("long3", { after: ["long2"] }, log("long3"))
      .task("urgent", { priority: 1 }, log("urgent"))
      .task("also-short", log("also-short"))
      .run({ concurrency: 1 });
    assert.equal(r.ok, true);
    // urgent: priority; long before short: remaining path 3 vs 1; long2 (2) before short (1);
    // then short, long3 and also-short tie (1 each) and go in definition order
    assert.deepEqual(order, ["urgent", "long", "long2", "short", "long3", "also-short"]);
  });

  it("runs inline tasks at once, without taking a concurrency slot", async () => {
    const gate = deferred();
    const order: string[] = [];
    const run = workflow("w")
      .task("hog", () => gate.promise)
      .task("glue", { context: "inline" }, () => void order.push("glue"))
      .task("queued", () => void order.push("queued"))
      .run({ concurrency: 1 });
    await turns(2);
    assert.deepEqual(order, ["glue"], "the inline task ran while the only slot is held");
    gate.resolve();
    await run;
    assert.deepEqual(order, ["glue", "queued"]);
  });

  it("yields to the event loop during long runs of synchronous tasks", async () => {
    const n = 5_000;
    const wf = workflow("w").tasks(
      Array.from({ length: n }, (_, i) => ({ name: `t${i}`, after: i === 0 ? [] : [`t${i - 1}`], run: () => i })),
    );
    let immediates = 0;
    const count = (): void => {
      immediates++;
      if (run.snapshot().state === "running") setImmediate(count);
    };
    const run = wf.run({ yieldEvery: 100 });
    setImmediate(count);
    const r = await run;
    assert.equal(r.ok, true);
    assert.ok(immediates >= n / 100 - 5, `other callbacks ran while it worked (${immediates})`);
  });

  it("completes an empty workflow", async () => {
    const r = await workflow("empty").run();
    assert.equal(r.ok, true);
    assert.equal(r.state, "completed");
    assert.equal(r.snapshot.size, 0);
  });

  it("records attempts, timestamps and durations on the run's clock", async () => {
    let now = 100;
    const clock = { now: () => now, setTimer: () => ({ cancel() {} }) };
    const r = await workflow("w")
      .task("a", async () => {
        now += 25;
        await turns(1);
        return "x";
      })
      .run({ clock });
    const a = r.tasks.a!;
    assert.equal(a.attempts, 1);
    assert.equal(a.startedAt, 100);
    assert.equal(a.endedAt, 125);
    assert.equal(a.durationMs, 25);
    assert.equal(r.durationMs, 25);
  });
});
