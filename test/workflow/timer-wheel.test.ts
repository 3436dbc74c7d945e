import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InvalidOptionError, workflow } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

describe("task timers on the run's timer wheel", () => {
  it("1,000 tasks waiting on their timeouts hold one timer of the run's clock, and each times out on its tick, never early", async () => {
    const clock = new ManualClock();
    let wf = workflow("w");
    for (let i = 0; i < 1_000; i++)
      wf = wf.task(
        `t${i}`,
        { timeoutMs: 25 },
        ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      );
    const run = wf.run({ clock, timerResolutionMs: 10, concurrency: Infinity });
    await turns(2);
    assert.equal(clock.pendingTimers, 1, "one base timer for 1,000 timeouts");
    await clock.advance(25);
    assert.equal(
      [...run.snapshot().tasks()].filter((t) => t.status === "failed").length,
      0,
      "not before the tick after 25 ms",
    );
    await clock.advance(5);
    const r = await run;
    const failed = Object.values(r.tasks).filter((t) => t?.status === "failed");
    assert.equal(failed.length, 1_000);
    for (const t of failed) assert.equal((t?.error as { code?: string } | undefined)?.code, "WEIR_TIMEOUT");
  });

  it("retry backoffs share the wheel; with an injected clock and no resolution, every timer is the clock's own", async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const make = () =>
      workflow("w").task("flaky", { retry: { attempts: 2, baseMs: 100, jitter: 0 } }, ({ attempt }) => {
        calls.push(clock.now());
        if (attempt === 1) throw new Error("once");
        return "ok";
      });
    const wheel = make().run({ clock, timerResolutionMs: 30 });
    await turns(2);
    await clock.advance(100);
    assert.deepEqual(calls, [0], "a 100 ms backoff on a 30 ms wheel fires at the tick after it");
    await clock.advance(20);
    assert.equal((await wheel).tasks.flaky?.status, "completed");
    assert.deepEqual(calls, [0, 120]);
    calls.length = 0;
    const exact = make().run({ clock });
    await turns(2);
    await clock.advance(100);
    assert.equal((await exact).tasks.flaky?.status, "completed");
    assert.deepEqual(calls, [120, 220]);
  });

  it("rejects a negative timerResolutionMs when the run is made", () => {
    assert.throws(
      () =>
        workflow("w")
          .task("a", () => 1)
          .run({ timerResolutionMs: -1 }),
      InvalidOptionError,
    );
  });
});
