import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TimerWheel } from "../../src/time/TimerWheel.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import type { Clock, TimerHandle } from "../../src/time/Clock.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

/** A base clock whose one timer fires only when the test says so (to simulate a late event loop). */
class StepClock implements Clock {
  time = 0;
  pending: { cb: () => void; at: number; cancelled: boolean }[] = [];
  now(): number {
    return this.time;
  }
  setTimer(cb: () => void, ms: number): TimerHandle {
    const entry = { cb, at: this.time + ms, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }
  /** Jumps to `time` and fires whatever base timer is live (late, if it was due earlier). */
  fireAt(time: number): void {
    this.time = time;
    const live = this.pending.filter((p) => !p.cancelled && p.at <= time);
    this.pending = this.pending.filter((p) => !p.cancelled && p.at > time);
    for (const p of live) p.cb();
  }
}

describe("TimerWheel", () => {
  it("fires every timer within its resolution and never early, cancelled ones never", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.boolean(), fc.integer({ min: 0, max: 400 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.constantFrom(1, 7, 10, 25),
        fc.constantFrom(4, 16, 256),
        async (specs, resolutionMs, slots) => {
          const clock = new ManualClock(12_345);
          const wheel = new TimerWheel({ clock, resolutionMs, slots });
          const fired = new Map<number, number>();
          const due = new Map<number, number>();
          const handles: TimerHandle[] = [];
          // Timers are set at staggered times: `offset` ms apart.
          for (const [k, [ms, cancel, offset]] of specs.entries()) {
            await clock.advance(offset);
            due.set(k, clock.now() + ms);
            handles[k] = wheel.setTimer(() => fired.set(k, clock.now()), ms);
            assert.ok(clock.pendingTimers <= 1, "one base timer at a time");
            if (cancel) handles[k]!.cancel();
          }
          await clock.runAll();
          for (const [k, [, cancel]] of specs.entries()) {
            const at = fired.get(k);
            if (cancel) {
              assert.equal(at, undefined, `timer ${k} was cancelled`);
              continue;
            }
            assert.ok(at !== undefined, `timer ${k} fired`);
            assert.ok(at >= due.get(k)!, `timer ${k} not early: ${at} >= ${due.get(k)}`);
            assert.ok(
              at <= due.get(k)! + resolutionMs,
              `timer ${k} within resolution: ${at} <= ${due.get(k)} + ${resolutionMs}`,
            );
          }
          assert.equal(wheel.size, 0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps one base timer for many timers, and none when idle", async () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock });
    const handles = Array.from({ length: 10_000 }, (_, i) => wheel.setTimer(() => {}, 1000 + (i % 5000)));
    assert.equal(clock.pendingTimers, 1);
    assert.equal(wheel.size, 10_000);
    for (const h of handles) h.cancel();
    assert.equal(wheel.size, 0);
    await clock.runAll();
    assert.equal(clock.pendingTimers, 0);
  });

  it("fires in tick order, in set order within a tick; callbacks may set and cancel timers", async () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock, resolutionMs: 10, slots: 8 });
    const order: string[] = [];
    wheel.setTimer(() => order.push("b1"), 50);
    wheel.setTimer(() => order.push("a"), 20);
    wheel.setTimer(() => order.push("b2"), 50);
    wheel.setTimer(() => {
      order.push("c");
      victim.cancel();
      wheel.setTimer(() => order.push("from-callback"), 0);
    }, 45);
    const victim = wheel.setTimer(() => order.push("victim"), 50);
    wheel.setTimer(() => order.push("far"), 1_000); // several rotations of 80 ms away
    await clock.runAll();
    // 45 and 50 ms share the 50 ms tick: set order decides, and "c" cancels "victim" before its turn.
    assert.deepEqual(order, ["a", "b1", "b2", "c", "from-callback", "far"]);
    assert.equal(clock.now(), 1_000);
  });

  it("catches up after a late base timer, firing everything due across many rotations", () => {
    const base = new StepClock();
    const wheel = new TimerWheel({ clock: base, resolutionMs: 10, slots: 4 });
    const fired: number[] = [];
    for (const ms of [5, 15, 39, 41, 200, 1_000]) wheel.setTimer(() => fired.push(ms), ms);
    base.fireAt(500); // the event loop was blocked for half a second
    assert.deepEqual(
      fired.sort((a, b) => a - b),
      [5, 15, 39, 41, 200],
    );
    base.fireAt(999);
    assert.equal(fired.length, 5, "not early");
    base.fireAt(1_000);
    assert.equal(fired.length, 6);
    assert.equal(wheel.size, 0);
  });

  it("a throwing callback does not stop the others", async () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel({ clock });
    let ran = false;
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on("warning", onWarning);
    wheel.setTimer(() => {
      throw new Error("boom");
    }, 10);
    wheel.setTimer(() => (ran = true), 10);
    await clock.runAll();
    await new Promise((r) => setImmediate(r));
    process.off("warning", onWarning);
    assert.equal(ran, true);
    assert.ok(warnings.some((w) => w.includes("boom")));
  });

  it("validates", () => {
    assert.throws(
      () => new TimerWheel({ slots: 100 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "slots",
    );
    assert.throws(
      () => new TimerWheel({ resolutionMs: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "resolutionMs",
    );
    assert.throws(
      () => new TimerWheel({ clock: {} as Clock }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "clock",
    );
  });
});
