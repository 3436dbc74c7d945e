import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";
import type { RateLimiterEvents } from "../../src/policy/RateLimiter.js";

/** A greedy caller: takes a permit whenever offered, else jumps to the announced time. Returns admission times. */
function greedy(tryAcquire: (now: number) => number, untilMs: number): number[] {
  const times: number[] = [];
  let now = 0;
  while (now <= untilMs) {
    const w = tryAcquire(now);
    if (w === 0) times.push(now);
    else now += w;
  }
  return times;
}

describe("rateLimiter: token bucket", () => {
  it("admits burst + perSecond × seconds over simulated minutes", () => {
    const limiter = rateLimiter({ perSecond: 10, burst: 5 });
    const times = greedy((now) => limiter.tryAcquire(undefined, now), 180_000);
    assert.equal(times.length, 5 + 10 * 180);
    // Never more than burst + rate × span in any span.
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! < times[i]! + 1000) j++;
      assert.ok(j - i <= 5 + 10, `at ${times[i]}: ${j - i} in one second`);
    }
    assert.equal(limiter.stats().admitted, times.length);
  });

  it("spaces permits evenly with burst 1 (the default)", () => {
    const limiter = rateLimiter({ perSecond: 4 });
    const times = greedy((now) => limiter.tryAcquire(undefined, now), 2_000);
    assert.deepEqual(times, [0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });
});

describe("rateLimiter: sliding windows", () => {
  it("never exceeds any of several windows, and its waits are honest", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 50, max: 1000 }),
        fc.integer({ min: 5, max: 20 }),
        fc.integer({ min: 1000, max: 8000 }),
        fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 300 }),
        (l1, i1, l2, i2, perSecond, gaps) => {
          const windows = [
            { limit: l1, intervalMs: i1 },
            { limit: l2, intervalMs: i2 },
          ];
          const limiter = rateLimiter(perSecond === undefined ? { windows } : { windows, perSecond, burst: 2 });
          const admitted: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            const w = limiter.tryAcquire(undefined, now);
            if (w === 0) admitted.push(now);
            else {
              assert.ok(w > 0 && Number.isFinite(w));
              // Nobody else took a permit: after the announced wait, the permit is there.
              assert.equal(limiter.tryAcquire(undefined, now + w), 0, `honest wait ${w} at ${now}`);
              admitted.push(now + w);
              now += w;
            }
          }
          for (const { limit, intervalMs } of windows) {
            for (let i = 0; i < admitted.length; i++) {
              let n = 0;
              for (let j = i; j < admitted.length && admitted[j]! < admitted[i]! + intervalMs; j++) n++;
              assert.ok(n <= limit, `${n} > ${limit} within ${intervalMs} ms from ${admitted[i]}`);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("10/s and 500/min: the minute window caps a long greedy run", () => {
    const limiter = rateLimiter({
      windows: [
        { limit: 10, intervalMs: 1000 },
        { limit: 500, intervalMs: 60_000 },
      ],
    });
    const times = greedy((now) => limiter.tryAcquire(undefined, now), 60_000 * 3 - 1);
    assert.equal(times.length, 1500);
  });
});

describe("rateLimiter: keys", () => {
  it("limits each key on its own, with the global cap on top", () => {
    const limiter = rateLimiter<{ host: string }>({
      perSecond: 3,
      burst: 3,
      key: (r) => r.host,
      perKey: { perSecond: 2, burst: 2 },
    });
    const a = { host: "a" };
    const b = { host: "b" };
    assert.equal(limiter.tryAcquire(a, 0), 0);
    assert.equal(limiter.tryAcquire(a, 0), 0);
    assert.equal(limiter.tryAcquire(a, 0), 500, "key a used its burst");
    assert.equal(limiter.tryAcquire(b, 0), 0, "key b is not held back by a");
    assert.ok(limiter.tryAcquire(b, 0) > 0, "the global cap of 3 is reached");
    assert.equal(limiter.stats().keys, 2);
  });

  it("a saturated key does not slow another key down", () => {
    const limiter = rateLimiter<string>({ key: (k) => k, perKey: { perSecond: 10, burst: 1 } });
    let busy = 0;
    let quiet = 0;
    for (let now = 0; now < 10_000; now += 5) {
      if (limiter.tryAcquire("busy", now) === 0) busy++;
      if (now % 500 === 0 && limiter.tryAcquire("quiet", now) === 0) quiet++;
    }
    assert.equal(busy, 100);
    assert.equal(quiet, 20, "every one of quiet's requests got through");
  });

  it("holds a new key while the key table is full of busy keys, then forgets idle ones", () => {
    const limiter = rateLimiter<string>({ key: (k) => k, perKey: { perSecond: 1, burst: 1 }, maxKeys: 2 });
    assert.equal(limiter.tryAcquire("a", 0), 0);
    assert.equal(limiter.tryAcquire("b", 0), 0);
    assert.equal(limiter.tryAcquire("c", 0), 1000);
    assert.equal(limiter.tryAcquire("c", 1000), 0);
    assert.equal(limiter.stats().keys, 1);
  });
});

describe("rateLimiter: Retry-After", () => {
  it("blocks the key for the penalty, then recovers at the normal rate without a burst", () => {
    const limiter = rateLimiter<string>({ key: (k) => k, perKey: { perSecond: 10, burst: 10 } });
    const waits: RateLimiterEvents["wait"][] = [];
    limiter.on("wait", (e) => waits.push(e));
    assert.equal(limiter.tryAcquire("api", 0), 0);
    limiter.penalize("api", 5_000, 100);
    assert.equal(limiter.tryAcquire("api", 100), 5_000);
    assert.equal(waits[0]?.reason, "penalty");
    assert.equal(limiter.tryAcquire("other", 100), 0, "other keys are not penalized");
    assert.equal(limiter.tryAcquire("api", 4_000), 1_100);
    const times = greedy((now) => limiter.tryAcquire("api", now), 7_000).filter((t) => t >= 5_000);
    // One permit at 5100, then one each 100 ms: 20 in the 2 s after recovery, no burst of 10.
    assert.equal(times[0], 5_100);
    assert.equal(times[1], 5_200);
    assert.equal(times.length, 20);
    assert.equal(limiter.stats().penalties, 1);
  });

  it("slows everything down when not keyed, and caps the penalty", () => {
    const limiter = rateLimiter({ windows: [{ limit: 5, intervalMs: 1000 }], maxPenaltyMs: 2_000 });
    limiter.penalize(undefined, 60_000, 0);
    assert.equal(limiter.tryAcquire(undefined, 0), 2_000);
    assert.equal(limiter.tryAcquire(undefined, 2_000), 0);
  });
});

describe("rateLimiter: limits at run time", () => {
  it("setLimits changes the rate, keeps the windows' history and wakes waiters", () => {
    const limiter = rateLimiter({ windows: [{ limit: 5, intervalMs: 1000 }] });
    let woken = 0;
    limiter.onChange(() => woken++);
    for (let i = 0; i < 5; i++) assert.equal(limiter.tryAcquire(undefined, 0), 0);
    assert.equal(limiter.tryAcquire(undefined, 10), 990);
    limiter.setLimits({ windows: [{ limit: 8, intervalMs: 1000 }] }, 10);
    assert.equal(woken, 1);
    for (let i = 0; i < 3; i++) assert.equal(limiter.tryAcquire(undefined, 10), 0, "3 more fit under the new limit");
    assert.equal(limiter.tryAcquire(undefined, 10), 990, "the 5 earlier admissions still count");
    limiter.setLimits({ perSecond: 1 }, 20);
    assert.equal(limiter.stats().limits?.perSecond, 1);
  });

  it("setKeyLimits applies to every key", () => {
    const limiter = rateLimiter<string>({ key: (k) => k, perKey: { perSecond: 1, burst: 1 } });
    assert.equal(limiter.tryAcquire("a", 0), 0);
    assert.equal(limiter.tryAcquire("a", 0), 1000);
    limiter.setKeyLimits({ perSecond: 10, burst: 1 }, 0);
    assert.equal(limiter.tryAcquire("a", 0), 100);
  });
});

describe("rateLimiter: options", () => {
  const bad: [unknown, string][] = [
    [{}, "perSecond"],
    [{ perSecond: 0 }, "perSecond"],
    [{ burst: 3 }, "perSecond"],
    [{ perSecond: 1, burst: 0.5 }, "burst"],
    [{ windows: [{ limit: 0, intervalMs: 10 }] }, "windows[0].limit"],
    [{ windows: [{ limit: 1, intervalMs: 10, extra: 1 }] }, "windows[0].extra"],
    [{ perSecond: 1, key: (x: unknown) => String(x) }, "perKey"],
    [{ perSecond: 1, perKey: { perSecond: 1 } }, "key"],
    [{ key: (x: unknown) => String(x), perKey: {} }, "perKey.perSecond"],
    [{ perSecond: 1, concurrency: 3 }, "concurrency"],
  ];
  for (const [options, option] of bad) {
    it(`rejects ${JSON.stringify(options)} naming ${option}`, () => {
      assert.throws(
        () => rateLimiter(options as never),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option && e.code === "WEIR_INVALID_OPTION",
      );
    });
  }

  it("stats are a frozen snapshot and refusals explain themselves", () => {
    const limiter = rateLimiter<string>({ name: "api", key: (k) => k, perKey: { perSecond: 1 } });
    limiter.tryAcquire("a", 0);
    const s = limiter.stats();
    assert.ok(Object.isFrozen(s));
    const e = limiter.refusal("a", 0);
    assert.equal(e.code, "WEIR_RATE_LIMITED");
    assert.equal(e.key, "a");
    assert.equal(e.retryAfterMs, 1000);
  });
});
