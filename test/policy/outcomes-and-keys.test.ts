import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cancelledOutcome, neutralOutcome } from "../../src/policy/Admission.js";
import { composeAdmissions } from "../../src/policy/composeAdmissions.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { adaptiveConcurrency } from "../../src/policy/AdaptiveConcurrency.js";
import { memoryGuard } from "../../src/policy/MemoryGuard.js";
import { withAdmission } from "../../src/policy/withAdmission.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { TimerWheel } from "../../src/time/TimerWheel.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

const cancelled = cancelledOutcome(new Error("cancelled"), 50);
const fail = { ok: false, error: new Error("down"), latencyMs: 5 } as const;

describe("the cancelled outcome", () => {
  it("a breaker records nothing for it", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 2, clock });
    for (let i = 0; i < 5; i++) {
      assert.equal(breaker.tryAcquire(i, 0), 0);
      breaker.release(i, cancelled, 0);
    }
    assert.equal(breaker.state, "closed");
    assert.deepEqual([breaker.stats().failures, breaker.stats().successes], [0, 0]);
  });

  it("a half-open probe given back cancelled frees the probe and wakes the waiters, leaving it half-open", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, halfOpenAfterMs: 100, clock });
    breaker.tryAcquire(0, 0);
    breaker.release(0, fail, 0);
    await clock.advance(100);
    assert.equal(breaker.tryAcquire(1, 100), 0, "the probe");
    assert.equal(breaker.tryAcquire(2, 100), Infinity);
    let woken = 0;
    breaker.onChange(() => woken++);
    breaker.release(1, cancelled, 100);
    assert.equal(woken, 1);
    assert.equal(breaker.state, "half-open");
    assert.equal(breaker.tryAcquire(2, 100), 0, "another probe may go");
  });

  it("a half-open probe given back neutral wakes those refused meanwhile, and only them", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, halfOpenAfterMs: 100, clock });
    breaker.tryAcquire(0, 0);
    breaker.release(0, fail, 0);
    await clock.advance(100);
    let woken = 0;
    breaker.onChange(() => woken++);
    assert.equal(breaker.tryAcquire(1, 100), 0);
    breaker.release(1, neutralOutcome, 100); // a rollback in the same turn: nobody was refused
    assert.equal(woken, 0);
    assert.equal(breaker.tryAcquire(1, 100), 0);
    assert.equal(breaker.tryAcquire(2, 100), Infinity);
    breaker.release(1, neutralOutcome, 150); // given back later (work that never started)
    assert.equal(woken, 1);
    assert.equal(breaker.tryAcquire(2, 150), 0);
  });

  it("an adaptive limit frees the slot and wakes, but takes no sample", () => {
    const adaptive = adaptiveConcurrency<number>({ min: 1, max: 8, initial: 2, minWindow: 2, targetLatencyMs: 10 });
    let woken = 0;
    adaptive.onChange(() => woken++);
    for (let round = 0; round < 10; round++) {
      assert.equal(adaptive.tryAcquire(1, 0), 0);
      assert.equal(adaptive.tryAcquire(2, 0), 0);
      adaptive.release(1, cancelledAt(10_000), 10_000);
      adaptive.release(2, cancelledAt(10_000), 10_000);
    }
    assert.equal(woken, 20);
    assert.equal(adaptive.limit, 2);
    assert.equal(adaptive.stats().decreases, 0);
    assert.equal(adaptive.inFlight, 0);
  });

  it("a bulkhead frees the units and wakes; a rate limiter keeps the permit (the work did start)", () => {
    const pool = bulkhead<number>({ name: "db", limit: 1 });
    let woken = 0;
    pool.onChange(() => woken++);
    pool.tryAcquire(1, 0);
    pool.release(1, cancelled, 0);
    assert.equal(pool.inUse, 0);
    assert.equal(woken, 1);
    const limiter = rateLimiter<number>({ perSecond: 1 });
    limiter.tryAcquire(1, 0);
    limiter.release(1, cancelled, 0);
    assert.equal(limiter.tryAcquire(2, 0), 1000);
  });

  it("withAdmission releases a failure after its signal aborted as cancelled", async () => {
    const breaker = circuitBreaker<number>({ consecutiveFailures: 2, clock: new ManualClock() });
    await assert.rejects(withAdmission(breaker, 1, () => Promise.reject(new Error("down"))));
    const ac = new AbortController();
    const work = async (): Promise<never> => {
      ac.abort();
      throw new Error("aborted");
    };
    await assert.rejects(withAdmission(breaker, 2, work, { signal: ac.signal }));
    assert.equal(breaker.state, "closed", "the aborted attempt is not the second failure");
    assert.equal(breaker.stats().failures, 1);
  });
});

function cancelledAt(latencyMs: number): ReturnType<typeof cancelledOutcome> {
  return cancelledOutcome(new Error("cancelled"), latencyMs);
}

describe("keyed refusals", () => {
  it("a keyed limiter says when only the item's key is refused", () => {
    const limiter = rateLimiter<string>({ perSecond: 100, burst: 10, key: (s) => s, perKey: { perSecond: 1 } });
    assert.equal(limiter.tryAcquire("a", 0), 0);
    assert.ok(limiter.tryAcquire("a", 0) > 0);
    assert.equal(limiter.keyedRefusal("a", 0), true);
    limiter.penalize("b", 5000, 0);
    assert.ok(limiter.tryAcquire("b", 0) > 0);
    assert.equal(limiter.keyedRefusal("b", 0), true, "a per-key Retry-After holds the key only");
    const global = rateLimiter<string>({ perSecond: 1 });
    global.tryAcquire("a", 0);
    assert.ok(global.tryAcquire("b", 0) > 0);
    assert.equal(global.keyedRefusal("b", 0), false);
    const both = rateLimiter<string>({ perSecond: 1, key: (s) => s, perKey: { perSecond: 100 } });
    both.tryAcquire("a", 0);
    assert.ok(both.tryAcquire("b", 0) > 0);
    assert.equal(both.keyedRefusal("b", 0), false, "the global cap refused");
  });

  it("a composition is keyed only when every member that refused was", () => {
    const clock = new ManualClock();
    const perKey = rateLimiter<string>({ key: (s) => s, perKey: { perSecond: 1 } });
    const pool = bulkhead<string>({ name: "pool", limit: 1 });
    const composed = composeAdmissions<string>([perKey, pool, circuitBreaker({ clock })]);
    assert.equal(composed.tryAcquire("a", 0), 0);
    assert.ok(composed.tryAcquire("a", 0) > 0);
    assert.equal(composed.keyedRefusal?.("a", 0), false, "the full pool refused too");
    composed.release("a", { ok: true, latencyMs: 1 }, 0);
    assert.ok(composed.tryAcquire("a", 0) > 0);
    assert.equal(composed.keyedRefusal?.("a", 0), true);
    assert.equal(composed.tryAcquire("b", 0), 0);
  });

  it("a composition takes penalties only when a member does", () => {
    const clock = new ManualClock();
    assert.equal(composeAdmissions([circuitBreaker({ clock }), bulkhead({ name: "x", limit: 1 })]).penalize, undefined);
    assert.equal(
      typeof composeAdmissions([circuitBreaker({ clock }), rateLimiter({ perSecond: 1 })]).penalize,
      "function",
    );
  });
});

describe("binding a policy to a run's clock", () => {
  it("a breaker without a clock adopts the first one, keeping the time an open state has left", async () => {
    const breaker = circuitBreaker<number>({
      consecutiveFailures: 1,
      halfOpenAfterMs: 1000,
      initialState: { state: "open", consecutiveFailures: 1, halfOpenInMs: 400 },
    });
    const clock = new ManualClock(5000);
    breaker.bindClock(new TimerWheel({ clock, resolutionMs: 10 }));
    // what is left is what was left on the system clock when it was bound (a little under 400)
    const left = breaker.toJSON().halfOpenInMs!;
    assert.ok(left > 350 && left <= 400, `${left} ms left`);
    assert.equal(breaker.toJSON().state, "open");
    let woken = 0;
    breaker.onChange(() => woken++);
    await clock.advance(left - 0.5);
    assert.equal(woken, 0);
    await clock.advance(0.5);
    assert.equal(woken, 1, "the half-open timer moved to the run's clock, untouched by the wheel's tick");
    assert.equal(breaker.state, "half-open");
  });

  it("the same base clock agrees; another one is refused", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock });
    breaker.bindClock(clock);
    breaker.bindClock(new TimerWheel({ clock }));
    assert.throws(
      () => breaker.bindClock(new ManualClock()),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "clock",
    );
    const guard = memoryGuard({ highWaterBytes: 10, probe: () => 0 });
    guard.bindClock(clock);
    assert.throws(() => guard.bindClock(new ManualClock()), InvalidOptionError);
  });

  it("setLimits reads `now` from the limiter's clock", () => {
    const clock = new ManualClock(1000);
    const limiter = rateLimiter<number>({ perSecond: 1, clock });
    assert.equal(limiter.tryAcquire(1, 1000), 0);
    limiter.setLimits({ perSecond: 10 });
    assert.equal(limiter.tryAcquire(2, 1000), 100, "reconfigured at the clock's now: the bucket is still empty");
  });
});
