import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimeoutError, workflow, type WorkflowEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

describe("retry and timeout", () => {
  it("retries with backoff on the run's clock, then succeeds", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const run = workflow("w")
      .task("flaky", { retry: { attempts: 3, baseMs: 100, jitter: 0 } }, ({ attempt }) => {
        calls++;
        if (attempt < 3) throw new Error(`try ${attempt}`);
        return "ok";
      })
      .run({ clock });
    const retries: WorkflowEvents["task:retry"][] = [];
    run.on("task:retry", (e) => void retries.push(e));
    await turns(2);
    assert.equal(calls, 1);
    assert.equal(run.snapshot().task("flaky")?.status, "running", "waiting to retry is still running");
    await clock.advance(99);
    assert.equal(calls, 1);
    await clock.advance(1);
    assert.equal(calls, 2);
    await clock.advance(200);
    assert.equal(calls, 3);
    const r = await run;
    assert.equal(r.tasks.flaky?.status, "completed");
    assert.equal(r.tasks.flaky?.attempts, 3);
    assert.deepEqual(
      retries.map((e) => [e.attempt, e.delayMs]),
      [
        [2, 100],
        [3, 200],
      ],
    );
  });

  it("gives up after the last attempt, and retryIf can refuse", async () => {
    const clock = new ManualClock();
    const run = workflow("w")
      .task("a", { retry: { attempts: 2, baseMs: 10, jitter: 0 } }, () => {
        throw new Error("always");
      })
      .task("b", { retry: { attempts: 5, retryIf: () => false } }, () => {
        throw new Error("fatal");
      })
      .run({ clock });
    await clock.runAll();
    const r = await run;
    assert.equal(r.tasks.a?.attempts, 2);
    assert.equal(r.tasks.a?.status, "failed");
    assert.equal(r.tasks.b?.attempts, 1);
  });

  it("times an attempt out: ctx.signal aborts with a TimeoutError, then the retry runs", async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const run = workflow("w")
      .task("slow", { timeoutMs: 50, retry: { attempts: 2, baseMs: 10, jitter: 0 } }, ({ signal, attempt }) => {
        signals.push(signal);
        return attempt === 1 ? new Promise<string>(() => {}) : "second";
      })
      .run({ clock });
    await turns(2);
    await clock.advance(50);
    assert.equal(signals[0]?.aborted, true);
    assert.ok(signals[0]?.reason instanceof TimeoutError);
    await clock.advance(10);
    const r = await run;
    assert.equal(r.tasks.slow?.result, "second");
    assert.equal(r.tasks.slow?.attempts, 2);
    assert.equal(clock.pendingTimers, 0, "no timer is left behind");
  });

  it("a timed-out task without retries fails with the TimeoutError; a late result is ignored", async () => {
    const clock = new ManualClock();
    let finish!: (v: string) => void;
    const run = workflow("w")
      .task("slow", { timeoutMs: 20 }, () => new Promise<string>((resolve) => (finish = resolve)))
      .run({ clock });
    await turns(2);
    await clock.advance(20);
    const r = await run;
    finish("too late");
    await turns(1);
    assert.equal(r.tasks.slow?.status, "failed");
    assert.ok(r.tasks.slow?.error instanceof TimeoutError);
    assert.equal(run.snapshot().task("slow")?.status, "failed");
  });
});
