import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  InvalidOptionError,
  workflow,
  type TaskContext,
  type WorkflowEvents,
} from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

describe("run.stop({ graceMs }): no task starts any more, running ones finish", () => {
  it("lets running tasks finish, starts none of the pending ones, and resolves stopped and cancelled", async () => {
    const a = deferred<number>();
    const b = deferred<string>();
    const started: string[] = [];
    const events: (keyof WorkflowEvents)[] = [];
    const run = workflow("w")
      .task("a", () => (started.push("a"), a.promise))
      .task("b", () => (started.push("b"), b.promise))
      .task("afterA", { after: ["a"] }, () => started.push("afterA"))
      .task("inlineAfterA", { after: ["a"], context: "inline" }, () => started.push("inlineAfterA"))
      .task("queued", () => started.push("queued"))
      .run({ concurrency: 2 }); // a and b take the slots; "queued" waits for one
    for (const type of ["workflow:stopping", "task:start", "task:end", "workflow:end"] as const)
      run.on(type, () => void events.push(type));
    await turns(2);
    assert.deepEqual(started, ["a", "b"]);
    const stopping = run.stop({ graceMs: Infinity });
    assert.equal(run.snapshot().state, "stopping");
    assert.equal(run.signal.aborted, false, "running tasks are not aborted");
    a.resolve(1);
    await turns(2);
    assert.equal(run.snapshot().state, "stopping", "b still runs");
    b.resolve("b");
    const r = await stopping;
    assert.deepEqual(started, ["a", "b"], "nothing started after stop(), not even a's dependents or an inline task");
    assert.equal(r.stopped, true);
    assert.equal(r.state, "cancelled");
    assert.equal(r.ok, false);
    assert.ok(r.error instanceof CancelledError && /stopped before every task ran/.test(r.error.message));
    assert.deepEqual(
      ["a", "b", "afterA", "inlineAfterA", "queued"].map((n) => r.tasks[n]?.status),
      ["completed", "completed", "cancelled", "cancelled", "cancelled"],
    );
    assert.equal(r.tasks.queued?.startedAt, undefined);
    assert.equal(events.filter((e) => e === "workflow:stopping").length, 1);
    assert.equal(events.at(-1), "workflow:end");
    assert.equal(await run, r, "stop() resolves with the run's result");
  });

  it("completes (ok, stopped) when every task had started and finishes within the grace", async () => {
    const a = deferred<string>();
    const run = workflow("w")
      .task("a", () => a.promise)
      .task("b", () => "b")
      .run();
    await turns(2);
    const stopping = run.stop();
    a.resolve("a");
    const r = await stopping;
    assert.equal(r.state, "completed");
    assert.equal(r.ok, true);
    assert.equal(r.stopped, true);
    assert.deepEqual({ ...r.results }, { a: "a", b: "b" });
  });

  it("running tasks keep retrying while the run stops", async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const run = workflow("w")
      .task("flaky", { retry: { attempts: 3, baseMs: 100, jitter: 0 } }, async ({ attempt }) => {
        attempts = attempt;
        if (attempt < 3) throw new Error(`attempt ${attempt}`);
        return "third time";
      })
      .task("later", { after: ["flaky"] }, () => "never")
      .run({ clock });
    await turns(2);
    assert.equal(attempts, 1);
    const stopping = run.stop({ graceMs: 10_000 });
    await clock.advance(100);
    await clock.advance(200);
    const r = await stopping;
    assert.equal(attempts, 3);
    assert.equal(r.tasks.flaky?.status, "completed");
    assert.equal(r.tasks.later?.status, "cancelled");
    assert.equal(r.state, "cancelled");
  });

  it("cancels what still runs when the grace runs out: its ctx.signal aborts", async () => {
    const clock = new ManualClock();
    let signal: AbortSignal | undefined;
    const run = workflow("w")
      .task("hangs", ({ signal: s }) => {
        signal = s;
        return new Promise<never>(() => {});
      })
      .task("next", { after: ["hangs"] }, () => 1)
      .run({ clock });
    await turns(2);
    const stopping = run.stop({ graceMs: 500 });
    await clock.advance(499);
    await turns(2);
    assert.equal(run.snapshot().state, "stopping");
    assert.equal(signal?.aborted, false);
    await clock.advance(1);
    const r = await stopping;
    assert.equal(signal?.aborted, true);
    assert.ok(signal?.reason instanceof CancelledError && /stop grace of 500 ms ran out/.test(signal.reason.message));
    assert.equal(r.tasks.hangs?.status, "cancelled");
    assert.equal(r.tasks.hangs?.endedAt, 500);
    assert.equal(r.tasks.next?.status, "cancelled");
    assert.equal(r.stopped, true);
    assert.equal(clock.pendingTimers, 0, "no timer left behind");
  });

  it("a stop before the run started ends it at once, every task cancelled, none run", async () => {
    let ran = false;
    const run = workflow("w")
      .task("a", () => (ran = true))
      .run();
    const r = await run.stop();
    assert.equal(ran, false);
    assert.equal(r.state, "cancelled");
    assert.equal(r.tasks.a?.status, "cancelled");
  });

  it("a failure under fail-workflow while stopping fails the run as usual", async () => {
    const a = deferred<number>();
    const run = workflow("w")
      .task("a", { onFailure: "fail-workflow" }, () => a.promise)
      .task("b", { after: ["a"] }, () => 1)
      .run();
    await turns(2);
    const stopping = run.stop();
    a.reject(new Error("boom"));
    const r = await stopping;
    assert.equal(r.state, "failed");
    assert.equal(r.stopped, true);
    assert.match(String(r.error), /boom/);
  });

  it("validates graceMs; a second stop() or cancel() after it changes nothing already decided", async () => {
    const a = deferred<number>();
    const run = workflow("w")
      .task("a", () => a.promise)
      .run();
    for (const graceMs of [-1, Number.NaN, "10"])
      assert.throws(
        () => run.stop({ graceMs } as never),
        (e: unknown) => e instanceof InvalidOptionError && e.option === "graceMs",
      );
    assert.throws(
      () => run.stop({ grace: 1 } as never),
      (e: unknown) => e instanceof InvalidOptionError,
    );
    await turns(2);
    const first = run.stop({ graceMs: Infinity });
    const second = run.stop({ graceMs: 0 });
    assert.equal(run.snapshot().state, "stopping", "the second stop's zero grace did not end the run");
    a.resolve(1);
    const r = await first;
    assert.equal(await second, r);
    assert.equal(r.state, "completed");
    assert.equal(await run.stop(), r, "stop() after the end returns the result");
  });
});

describe("await using", () => {
  it("cancels a run still going when its scope ends, and waits for it to settle", async () => {
    const signals: AbortSignal[] = [];
    let seen: Awaited<typeof run> | undefined;
    const run = workflow("w")
      .task("hangs", (ctx: TaskContext) => {
        signals.push(ctx.signal);
        return new Promise<never>(() => {});
      })
      .run();
    void run.then((r) => (seen = r));
    {
      await using scoped = run;
      await turns(2);
      assert.equal(scoped.snapshot().state, "running");
    }
    assert.equal(signals.length, 1);
    assert.equal(signals[0]!.aborted, true);
    await turns(1);
    assert.equal(seen?.state, "cancelled");
    assert.ok(seen?.error instanceof CancelledError && /await using/.test(seen.error.message));
  });

  it("leaves a run that already ended as it was", async () => {
    const run = workflow("w")
      .task("a", () => 1)
      .run();
    {
      await using scoped = run;
      assert.equal((await scoped).state, "completed");
    }
    assert.equal((await run).state, "completed");
  });
});
