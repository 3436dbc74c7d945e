import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memoryGuard } from "../../src/policy/MemoryGuard.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

describe("memoryGuard", () => {
  it("pauses above high water and resumes only below low water", () => {
    let bytes = 100;
    const guard = memoryGuard({
      highWaterBytes: 1000,
      lowWaterBytes: 600,
      probe: () => bytes,
      clock: new ManualClock(),
    });
    const seen: string[] = [];
    guard.on("pause", (e) => seen.push(`pause ${e.bytes}`));
    guard.on("resume", (e) => seen.push(`resume ${e.bytes}`));
    assert.equal(guard.shouldPause(), false);
    bytes = 1001;
    assert.equal(guard.shouldPause(), true);
    bytes = 800;
    assert.equal(guard.shouldPause(), true, "between the marks it stays paused");
    bytes = 599;
    assert.equal(guard.shouldPause(), false);
    bytes = 800;
    assert.equal(guard.shouldPause(), false, "between the marks it stays running");
    assert.deepEqual(seen, ["pause 1001", "resume 599"]);
  });

  it("whenBelow polls on the clock until memory falls, with one timer for all waiters", async () => {
    const clock = new ManualClock();
    let bytes = 2000;
    const guard = memoryGuard({ highWaterBytes: 1000, probe: () => bytes, clock, pollMs: 50 });
    let resumed = 0;
    const a = guard.whenBelow().then(() => resumed++);
    const b = guard.whenBelow().then(() => resumed++);
    assert.equal(clock.pendingTimers, 1);
    await clock.advance(200);
    assert.equal(resumed, 0);
    bytes = 700; // below the default low water (80%: 800)
    await clock.advance(50);
    await Promise.all([a, b]);
    assert.equal(resumed, 2);
    assert.equal(clock.pendingTimers, 0);
    const s = guard.stats();
    assert.equal(s.pauses, 1);
    assert.equal(s.pausedMs, 250);
    assert.equal(s.paused, false);
  });

  it("resolves at once when not paused; rejects on abort and stops polling", async () => {
    const clock = new ManualClock();
    let bytes = 10;
    const guard = memoryGuard({ highWaterBytes: 1000, probe: () => bytes, clock });
    await guard.whenBelow();
    bytes = 5000;
    const ac = new AbortController();
    const waiting = guard.whenBelow(ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(waiting, /stop/);
    assert.equal(clock.pendingTimers, 0);
    await assert.rejects(guard.whenBelow(ac.signal), /stop/);
  });

  it("validates", () => {
    assert.throws(
      () => memoryGuard({ highWaterBytes: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "highWaterBytes",
    );
    assert.throws(
      () => memoryGuard({ highWaterBytes: 10, lowWaterBytes: 20 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "lowWaterBytes",
    );
    assert.equal(memoryGuard({ highWaterBytes: 1e12 }).shouldPause(), false, "the default probe reads the heap");
  });
});
