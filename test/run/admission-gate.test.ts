import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AdmissionGate, type Waiter } from "../../src/run/stage/AdmissionGate.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { composeAdmissions } from "../../src/policy/composeAdmissions.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { ManualClock } from "../../src/time/ManualClock.js";

interface Item extends Waiter {
  readonly item: { key: number; seq: number };
}

/** A minimal stage around a gate: items arrive in order, start when admitted. */
function harness(admission: ConstructorParameters<typeof AdmissionGate>[0], clock: ManualClock, maxWaitMs = Infinity) {
  const pending: Item[] = [];
  const started: Array<{ key: number; seq: number; at: number }> = [];
  const expired: Array<{ seq: number; at: number }> = [];
  const gate: AdmissionGate<Item> = new AdmissionGate<Item>(admission, clock, maxWaitMs, () => pump());
  const begin = (w: Item): void => void started.push({ ...w.item, at: clock.now() });
  function pump(): void {
    const now = clock.now();
    gate.drain(
      now,
      () => true,
      begin,
      (w) => void expired.push({ seq: w.item.seq, at: now }),
    );
    while (!gate.blocked && pending.length > 0) {
      const w = pending.shift()!;
      if (gate.admit(w, now, false, 0)) begin(w);
    }
  }
  return { pending, started, expired, gate, pump };
}

describe("AdmissionGate", () => {
  it("under keyed limits: FIFO within each key, no key above its rate, every item served", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        async (keys, perSecond, burst, globalCap) => {
          const clock = new ManualClock();
          const limiter = rateLimiter<{ key: number }>({
            ...(globalCap ? { perSecond: 50, burst: 5 } : {}),
            key: (x) => x.key,
            perKey: { perSecond, burst },
          });
          const h = harness(limiter, clock);
          keys.forEach((key, seq) => h.pending.push({ item: { key, seq }, waitingSince: -1 }));
          h.pump();
          await clock.advance(keys.length * 1000 + 1000);
          assert.equal(h.started.length, keys.length, "every item started");
          for (const key of new Set(keys)) {
            const mine = h.started.filter((s) => s.key === key);
            assert.deepEqual(
              mine.map((s) => s.seq),
              [...mine.map((s) => s.seq)].sort((a, b) => a - b),
              `key ${key} in order`,
            );
            for (let i = 0; i < mine.length; i++) {
              for (let j = i; j < mine.length; j++) {
                const allowed = burst + ((mine[j]!.at - mine[i]!.at) * perSecond) / 1000 + 1e-6;
                assert.ok(j - i + 1 <= allowed, `key ${key}: ${j - i + 1} starts in ${mine[j]!.at - mine[i]!.at} ms`);
              }
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a key that waits does not hold the others; a global refusal holds everyone", async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter<{ key: number }>({ key: (x) => x.key, perKey: { perSecond: 1 } });
    const h = harness(limiter, clock);
    [0, 0, 1].forEach((key, seq) => h.pending.push({ item: { key, seq }, waitingSince: -1 }));
    h.pump();
    assert.deepEqual(
      h.started.map((s) => s.seq),
      [0, 2],
    );
    assert.equal(h.gate.blocked, false);
    const breaker = circuitBreaker<{ key: number }>({ consecutiveFailures: 1, halfOpenAfterMs: 500, clock });
    breaker.tryAcquire({ key: 9 }, 0);
    breaker.release({ key: 9 }, { ok: false, error: new Error("down"), latencyMs: 1 }, 0);
    const g = harness(
      composeAdmissions([breaker, rateLimiter<{ key: number }>({ key: (x) => x.key, perKey: { perSecond: 100 } })]),
      clock,
    );
    [0, 1, 2].forEach((key, seq) => g.pending.push({ item: { key, seq }, waitingSince: -1 }));
    g.pump();
    assert.equal(g.gate.blocked, true);
    assert.equal(g.gate.waiting, 1, "the others queue behind the held one");
    await clock.advance(500);
    assert.deepEqual(
      g.started.map((s) => `${s.seq}@${s.at}`),
      ["0@500"],
      "the half-open probe",
    );
  });

  it("expires every overdue waiter at its deadline, behind a holder too", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<{ key: number }>({ consecutiveFailures: 1, halfOpenAfterMs: 10_000, clock });
    breaker.tryAcquire({ key: 9 }, 0);
    breaker.release({ key: 9 }, { ok: false, error: new Error("down"), latencyMs: 1 }, 0);
    const h = harness(breaker, clock, 300);
    const w = (seq: number): Item => ({ item: { key: 0, seq }, waitingSince: -1 });
    h.gate.admit(w(0), 0, false, 0);
    await clock.advance(100);
    h.gate.admit(w(1), 100, false, 100);
    h.gate.admit(w(2), 100, false, 0); // queued at 0, reached the gate at 100
    await clock.advance(500);
    assert.deepEqual(h.expired, [
      { seq: 0, at: 300 },
      { seq: 2, at: 300 },
      { seq: 1, at: 400 },
    ]);
    assert.equal(h.gate.waiting, 0);
  });
});
