import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { CancelledError, workflow } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

describe("cancellation", () => {
  it("the run's signal aborts running tasks' ctx.signal and marks the rest cancelled", async () => {
    const ac = new AbortController();
    const signals: AbortSignal[] = [];
    const hang = ({ signal }: { signal: AbortSignal }): Promise<never> => {
      signals.push(signal);
      return new Promise<never>(() => {});
    };
    const run = workflow("w")
      .task("a", hang)
      .task("b", hang)
      .task("c", { after: ["a"] }, () => 1)
      .task("done", () => "early")
      .run({ signal: ac.signal });
    await turns(2);
    assert.equal(getEventListeners(ac.signal, "abort").length, 1);
    ac.abort(new Error("user said so"));
    const r = await run;
    assert.equal(r.state, "cancelled");
    assert.ok(r.error instanceof CancelledError && /user said so/.test(r.error.message));
    assert.ok(signals.length === 2 && signals.every((s) => s.aborted));
    assert.equal(r.tasks.a?.status, "cancelled");
    assert.equal(r.tasks.b?.status, "cancelled");
    assert.equal(r.tasks.c?.status, "cancelled");
    assert.equal(r.tasks.done?.status, "completed");
    assert.equal(getEventListeners(ac.signal, "abort").length, 0, "the run removed its listener");
  });

  it("every cancelled task gets endedAt, the cancel time; durationMs only for one that started", async () => {
    const clock = new ManualClock(1_000);
    const run = workflow("w")
      .task("a", () => new Promise<never>(() => {}))
      .task("b", { after: ["a"] }, () => 1)
      .run({ clock });
    await turns(2);
    await clock.advance(250);
    run.cancel("stop");
    const r = await run;
    const a = r.tasks.a;
    const b = r.tasks.b;
    assert.equal(a?.status, "cancelled");
    assert.equal(a?.startedAt, 1_000);
    assert.equal(a?.endedAt, 1_250);
    assert.equal(a?.durationMs, 250);
    assert.equal(b?.status, "cancelled");
    assert.equal(b?.startedAt, undefined);
    assert.equal(b?.endedAt, 1_250, "a task that never started ends when it is cancelled");
    assert.equal(b?.durationMs, undefined);
  });

  it("an already aborted signal cancels every task before any runs", async () => {
    let ran = false;
    const r = await workflow("w")
      .task("a", () => void (ran = true))
      .run({ signal: AbortSignal.abort() });
    assert.equal(r.state, "cancelled");
    assert.equal(ran, false);
    assert.equal(r.tasks.a?.status, "cancelled");
    assert.equal(typeof r.tasks.a?.endedAt, "number");
    assert.equal(r.tasks.a?.durationMs, undefined);
  });

  it("run.cancel() cancels, cancels retry timers, and is a no-op once ended", async () => {
    const clock = new ManualClock();
    const run = workflow("w")
      .task("a", { retry: { attempts: 3, baseMs: 1_000 } }, () => {
        throw new Error("x");
      })
      .run({ clock });
    await turns(2);
    assert.equal(clock.pendingTimers, 1);
    run.cancel("enough");
    const r = await run;
    assert.equal(r.state, "cancelled");
    assert.equal(clock.pendingTimers, 0);
    run.cancel();
    assert.equal((await run).state, "cancelled");
  });

  it("a task that ignores its signal cannot change the result after cancellation", async () => {
    const ac = new AbortController();
    let finish!: () => void;
    const run = workflow("w")
      .task("stubborn", () => new Promise<void>((resolve) => (finish = resolve)))
      .run({ signal: ac.signal });
    await turns(2);
    ac.abort();
    const r = await run;
    finish();
    await turns(1);
    assert.equal(r.tasks.stubborn?.status, "cancelled");
    assert.equal(run.snapshot().task("stubborn")?.status, "cancelled");
  });
});
