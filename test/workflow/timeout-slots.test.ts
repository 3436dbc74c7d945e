import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimeoutError, workflow, type TaskSpec } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns, type Deferred } from "../helpers.js";

/** Tasks that ignore their signal and end only when their gate opens; counts code really running. */
function stubborn(n: number): {
  specs: TaskSpec[];
  gates: Deferred<string>[];
  peak: () => number;
  running: () => number;
  calls: string[];
} {
  let running = 0;
  let peak = 0;
  const calls: string[] = [];
  const gates: Deferred<string>[] = [];
  const specs: TaskSpec[] = Array.from({ length: n }, (_, i) => ({
    name: `t${i}`,
    timeoutMs: 10,
    run: async ({ attempt }) => {
      calls.push(`t${i}#${attempt}`);
      running++;
      peak = Math.max(peak, running);
      const gate = deferred<string>();
      gates.push(gate);
      try {
        return await gate.promise;
      } finally {
        running--;
      }
    },
  }));
  return { specs, gates, peak: () => peak, running: () => running, calls };
}

describe("timeouts and concurrency slots", () => {
  it("a timed-out task fails at once, but keeps its slot until its code settles: concurrency 1 means one running", async () => {
    const clock = new ManualClock();
    const t = stubborn(4);
    const run = workflow("w").tasks(t.specs).run({ concurrency: 1, clock });
    await turns(2);
    assert.deepEqual(t.calls, ["t0#1"]);
    await clock.advance(10);
    const s = run.snapshot();
    assert.equal(s.task("t0")?.status, "failed", "the timeout still fails the task at once");
    assert.ok(s.task("t0")?.error instanceof TimeoutError);
    assert.deepEqual(t.calls, ["t0#1"], "t1 waits: t0's code still runs and holds the only slot");
    await clock.advance(100);
    assert.deepEqual(t.calls, ["t0#1"]);
    t.gates[0]!.resolve("late");
    await turns(2);
    assert.deepEqual(t.calls, ["t0#1", "t1#1"], "the slot freed when t0's code settled");
    // the rest time out and settle one by one
    for (let i = 1; i < 4; i++) {
      await clock.advance(10);
      t.gates[i]!.resolve("late");
      await turns(2);
    }
    const r = await run;
    assert.equal(t.peak(), 1, "never more than one task's code running at once");
    assert.equal(r.counts.failed, 4);
    assert.equal(r.tasks.t0?.result, undefined, "a late result does not count");
  });

  it("a retry after a timeout needs a slot of its own: with a free one it starts after the backoff", async () => {
    const clock = new ManualClock();
    const gates: Deferred<string>[] = [];
    let running = 0;
    let peak = 0;
    const run = workflow("w")
      .task("slow", { timeoutMs: 10, retry: { attempts: 2, baseMs: 5, jitter: 0 } }, async () => {
        running++;
        peak = Math.max(peak, running);
        const g = deferred<string>();
        gates.push(g);
        try {
          return await g.promise;
        } finally {
          running--;
        }
      })
      .run({ concurrency: 2, clock });
    await turns(2);
    await clock.advance(10); // attempt 1 times out
    await clock.advance(5); // backoff
    assert.equal(gates.length, 2, "attempt 2 started while attempt 1 still runs, in the second slot");
    assert.equal(run.snapshot().task("slow")?.attempts, 2);
    gates[1]!.resolve("second");
    const r = await run;
    assert.equal(r.tasks.slow?.result, "second");
    assert.equal(peak, 2);
    gates[0]!.resolve("first, too late");
    await turns(1);
  });

  it("with no free slot, the retry waits in the queue until the timed-out attempt settles", async () => {
    const clock = new ManualClock();
    const gates: Deferred<string>[] = [];
    const starts: number[] = [];
    const run = workflow("w")
      .task("slow", { timeoutMs: 10, retry: { attempts: 2, baseMs: 5, jitter: 0 } }, ({ attempt }) => {
        starts.push(attempt);
        const g = deferred<string>();
        gates.push(g);
        return g.promise;
      })
      .run({ concurrency: 1, clock });
    await turns(2);
    await clock.advance(10);
    await clock.advance(50);
    assert.deepEqual(starts, [1], "the only slot is still held by attempt 1");
    assert.equal(run.snapshot().task("slow")?.status, "running", "the task is waiting to retry");
    gates[0]!.resolve("ignored");
    await turns(2);
    assert.deepEqual(starts, [1, 2]);
    gates[1]!.resolve("ok");
    const r = await run;
    assert.equal(r.tasks.slow?.result, "ok");
    assert.equal(r.tasks.slow?.attempts, 2);
    assert.equal(clock.pendingTimers, 0);
  });

  it("cancelling the run does not wait for timed-out code still running", async () => {
    const clock = new ManualClock();
    const t = stubborn(2);
    const run = workflow("w").tasks(t.specs).run({ concurrency: 1, clock });
    await turns(2);
    await clock.advance(10);
    run.cancel("enough");
    const r = await run;
    assert.equal(r.state, "cancelled");
    assert.equal(r.tasks.t0?.status, "failed");
    assert.equal(r.tasks.t1?.status, "cancelled");
    t.gates[0]!.resolve("late");
    await turns(1);
    assert.equal(t.calls.length, 1);
  });
});
