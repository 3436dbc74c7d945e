import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { neutralOutcome, type Admission } from "../../src/policy/Admission.js";
import { composeAdmissions } from "../../src/policy/composeAdmissions.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { adaptiveConcurrency } from "../../src/policy/AdaptiveConcurrency.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { WeirError } from "../../src/errors/WeirError.js";

interface Subject {
  readonly admission: Admission<number>;
  /** Moves the admission to a state where it refuses (or returns false if it cannot be made to). */
  readonly exhaust: (now: number) => void;
}

/** The shared suite: every Admission keeps the same contract. */
function conformance(name: string, make: (clock: ManualClock) => Subject): void {
  describe(`Admission conformance: ${name}`, () => {
    it("returns 0, a positive wait or Infinity; never negative or NaN", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 500 })), { maxLength: 80 }),
          (ops) => {
            const clock = new ManualClock();
            const { admission } = make(clock);
            let now = 0;
            const held: number[] = [];
            for (const [op, dt] of ops) {
              now += dt;
              if (op <= 1) {
                const w = admission.tryAcquire(op, now);
                assert.ok(w === 0 || w > 0, `wait ${w}`);
                assert.ok(!Number.isNaN(w));
                if (w === 0) {
                  // Rolling back and acquiring again at the same time must admit again.
                  admission.release(op, neutralOutcome, now);
                  assert.equal(admission.tryAcquire(op, now), 0, "a rolled-back admission is restored");
                  held.push(op);
                }
              } else if (held.length > 0) {
                const item = held.shift()!;
                admission.release(
                  item,
                  { ok: op === 2, error: op === 2 ? undefined : new Error("x"), latencyMs: dt },
                  now,
                );
              }
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it("at the edge, a rolled-back permit leaves as many permits as before", () => {
      // Two identical subjects walked to the moment a permit reappears: one rolls a permit back
      // and retakes it; both must then admit the same number of items.
      const count = (rollback: boolean): number => {
        const clock = new ManualClock();
        const { admission, exhaust } = make(clock);
        exhaust(1000);
        let now = 1000;
        let w = admission.tryAcquire(1, now);
        assert.ok(w > 0, "exhausted admission refuses");
        for (let i = 0; i < 100 && w !== 0 && w !== Infinity; i++) {
          now += w;
          w = admission.tryAcquire(1, now);
        }
        if (w === Infinity) return -1; // freed only by a release: covered by the property above
        assert.equal(w, 0);
        if (rollback) {
          admission.release(1, neutralOutcome, now);
          assert.equal(admission.tryAcquire(1, now), 0);
        }
        let n = 1;
        while (n < 1000 && admission.tryAcquire(1, now) === 0) n++;
        return n;
      };
      assert.equal(count(true), count(false));
    });

    it("neutral releases record nothing and do not notify", () => {
      const clock = new ManualClock();
      const { admission } = make(clock);
      let calls = 0;
      const off = admission.onChange(() => calls++);
      for (let i = 0; i < 50; i++) {
        assert.equal(admission.tryAcquire(i, 10), 0);
        admission.release(i, neutralOutcome, 10);
      }
      assert.equal(calls, 0);
      off();
    });

    it("unsubscribed listeners are not called", () => {
      const clock = new ManualClock();
      const { admission, exhaust } = make(clock);
      let calls = 0;
      const off = admission.onChange(() => calls++);
      off();
      off();
      exhaust(0);
      for (let i = 0; i < 20; i++) {
        if (admission.tryAcquire(i, 0) === 0) admission.release(i, { ok: true, latencyMs: 1 }, 0);
      }
      assert.equal(calls, 0);
    });

    it("explains a refusal with a weir error", () => {
      const clock = new ManualClock();
      const { admission, exhaust } = make(clock);
      exhaust(0);
      if (admission.refusal !== undefined) assert.ok(WeirError.is(admission.refusal(1, 0)));
    });
  });
}

/** Takes admissions until refused, releasing none. */
function fill(admission: Admission<number>, now: number): void {
  for (let i = 0; i < 10_000; i++) if (admission.tryAcquire(i, now) !== 0) return;
  throw new Error("never refused");
}

conformance("rateLimiter (bucket)", () => {
  const admission = rateLimiter<number>({ perSecond: 5, burst: 3 });
  return { admission, exhaust: (now) => fill(admission, now) };
});
conformance("rateLimiter (windows, keyed)", () => {
  const admission = rateLimiter<number>({
    windows: [{ limit: 4, intervalMs: 1000 }],
    key: (n) => n % 2,
    perKey: { perSecond: 2, burst: 2 },
  });
  return { admission, exhaust: (now) => fill(admission, now) };
});
conformance("circuitBreaker", (clock) => {
  const admission = circuitBreaker<number>({ consecutiveFailures: 3, clock });
  return {
    admission,
    exhaust: (now) => {
      for (let i = 0; i < 3; i++) {
        admission.tryAcquire(i, now);
        admission.release(i, { ok: false, error: new Error("down"), latencyMs: 1 }, now);
      }
    },
  };
});
conformance("bulkhead", () => {
  const admission = bulkhead<number>({ name: "db", limit: 3, weight: (n) => (n % 3) + 1 });
  return { admission, exhaust: (now) => fill(admission, now) };
});
conformance("adaptiveConcurrency", () => {
  const admission = adaptiveConcurrency<number>({ min: 1, max: 8, initial: 2 });
  return { admission, exhaust: (now) => fill(admission, now) };
});
conformance("composeAdmissions", (clock) => {
  const admission = composeAdmissions<number>([
    circuitBreaker({ consecutiveFailures: 100, clock }),
    rateLimiter({ perSecond: 10, burst: 5 }),
    bulkhead({ name: "pool", limit: 4 }),
  ]);
  return { admission, exhaust: (now) => fill(admission, now) };
});

describe("composeAdmissions", () => {
  it("rolls back earlier members when a later one refuses, and returns the largest wait", () => {
    const pool = bulkhead<number>({ name: "pool", limit: 10 });
    const slow = rateLimiter<number>({ perSecond: 1, burst: 1 });
    const fast = rateLimiter<number>({ perSecond: 10, burst: 1 });
    const both = composeAdmissions([pool, fast, slow]);
    assert.equal(both.tryAcquire(1, 0), 0);
    assert.equal(pool.inUse, 1);
    // fast refuses (100 ms) and slow refuses (1000 ms): the pool is rolled back, the longest wait wins.
    assert.equal(both.tryAcquire(2, 0), 1000);
    assert.equal(pool.inUse, 1);
    assert.equal(pool.stats().admitted, 1);
    // fast admits at 100 ms but slow does not: fast's permit is refunded.
    assert.equal(both.tryAcquire(2, 100), 900);
    assert.equal(fast.tryAcquire(9, 100), 0, "fast's permit was refunded");
  });

  it("explains the refusal with the refusing member's error", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, clock, halfOpenAfterMs: 500 });
    const both = composeAdmissions([rateLimiter<number>({ perSecond: 100, burst: 100 }), breaker]);
    both.tryAcquire(1, 0);
    both.release(1, { ok: false, error: new Error("down"), latencyMs: 1 }, 0);
    assert.equal(both.tryAcquire(2, 0), 500);
    assert.equal(both.refusal?.(2, 0).code, "WEIR_CIRCUIT_OPEN");
  });

  it("releases and penalizes every member; onChange fans in", () => {
    const a = bulkhead<number>({ name: "a", limit: 1 });
    const b = bulkhead<number>({ name: "b", limit: 1 });
    const both = composeAdmissions([a, b]);
    let calls = 0;
    const off = both.onChange(() => calls++);
    assert.equal(both.tryAcquire(1, 0), 0);
    assert.equal(both.tryAcquire(2, 0), Infinity);
    both.release(1, { ok: true, latencyMs: 1 }, 0);
    assert.equal(a.inUse + b.inUse, 0);
    assert.equal(calls, 2);
    off();
  });
});
