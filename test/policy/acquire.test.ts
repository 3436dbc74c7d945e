import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { acquire } from "../../src/policy/acquire.js";
import { withAdmission } from "../../src/policy/withAdmission.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { TimeoutError } from "../../src/errors/TimeoutError.js";
import type { Admission } from "../../src/policy/Admission.js";

describe("acquire", () => {
  it("waits the announced time on the clock, then admits", async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter({ perSecond: 2, burst: 1 });
    const admitted: number[] = [];
    const all = Promise.all(
      [0, 1, 2].map((i) => acquire(limiter, i, { clock }).then(() => admitted.push(clock.now()))),
    );
    await clock.runAll();
    await all;
    assert.deepEqual(admitted, [0, 500, 1000]);
    assert.equal(clock.pendingTimers, 0);
  });

  it("wakes on onChange for an Infinity wait", async () => {
    const clock = new ManualClock();
    const pool = bulkhead<number>({ name: "p", limit: 1 });
    await acquire(pool, 1, { clock });
    let admitted = false;
    const waiting = acquire(pool, 2, { clock }).then(() => (admitted = true));
    await clock.advance(1000);
    assert.equal(admitted, false);
    pool.release(1, { ok: true, latencyMs: 1 }, clock.now());
    await waiting;
    assert.equal(admitted, true);
  });

  it("rejects with a TimeoutError past maxWaitMs when the admission has no refusal, and on abort", async () => {
    const clock = new ManualClock();
    const never: Admission<number> = { tryAcquire: () => Infinity, release: () => {}, onChange: () => () => {} };
    const late = acquire(never, 1, { clock, maxWaitMs: 100 });
    const caught = late.catch((e: unknown) => e);
    await clock.advance(100);
    assert.ok((await caught) instanceof TimeoutError);
    const ac = new AbortController();
    const aborted = acquire(never, 1, { clock, signal: ac.signal });
    ac.abort(new Error("bye"));
    await assert.rejects(aborted, /bye/);
    assert.equal(clock.pendingTimers, 0);
  });

  it("withAdmission releases with the outcome and reports Retry-After to penalize", async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter<string>({ key: (k) => k, perKey: { perSecond: 100, burst: 100 } });
    await assert.rejects(
      withAdmission(
        limiter,
        "api",
        () => Promise.reject(Object.assign(new Error("429"), { headers: { "Retry-After": "3" } })),
        { clock },
      ),
      /429/,
    );
    assert.equal(limiter.tryAcquire("api", clock.now()), 3000);
    assert.equal(await withAdmission(limiter, "other", (k) => k.length, { clock }), 5);
  });
});
