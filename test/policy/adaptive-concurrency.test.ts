import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  adaptiveConcurrency,
  type AdaptiveConcurrency,
  type AdaptiveConcurrencyEvents,
} from "../../src/policy/AdaptiveConcurrency.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

interface Result {
  completed: number;
  latencies: number[];
  limits: number[];
}

/**
 * A discrete-event simulation of a server with `knee` workers, each request taking `baseMs`:
 * up to `knee` concurrent requests take `baseMs`, beyond it latency grows in proportion to the
 * load (throughput stays at knee / baseMs). Callers are greedy: they send whenever admitted.
 * `fail(n)` makes a request sent at concurrency n fail (e.g. with 429).
 */
function simulate(
  limiter: AdaptiveConcurrency<number>,
  o: { knee: number; baseMs: number; durationMs: number; fail?: (n: number) => unknown },
): Result {
  const inFlight: { done: number; started: number; id: number; error: unknown }[] = [];
  const result: Result = { completed: 0, latencies: [], limits: [] };
  let now = 0;
  let id = 0;
  while (now < o.durationMs) {
    while (limiter.tryAcquire(id, now) === 0) {
      const n = inFlight.length + 1;
      const latency = o.baseMs * Math.max(1, n / o.knee);
      inFlight.push({ done: now + latency, started: now, id: id++, error: o.fail?.(n) });
    }
    inFlight.sort((a, b) => a.done - b.done);
    const next = inFlight.shift()!;
    now = next.done;
    const latencyMs = now - next.started;
    limiter.release(
      next.id,
      next.error === undefined ? { ok: true, latencyMs } : { ok: false, error: next.error, latencyMs },
      now,
    );
    result.completed++;
    if (now > o.durationMs / 2) {
      result.latencies.push(latencyMs);
      result.limits.push(limiter.limit);
    }
  }
  return result;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

describe("adaptiveConcurrency", () => {
  it("settles near the best throughput without exceeding the latency target", () => {
    const knee = 16;
    const limiter = adaptiveConcurrency<number>({ min: 1, max: 256, initial: 1, targetLatencyMs: 30 });
    const r = simulate(limiter, { knee, baseMs: 20, durationMs: 60_000 });
    const limit = mean(r.limits);
    assert.ok(
      limit >= knee * 0.8 && limit <= knee * 1.5,
      `mean limit ${limit.toFixed(1)} near the knee (${knee}..${knee * 1.5})`,
    );
    const p90 = quantile(r.latencies, 0.9);
    assert.ok(p90 <= 30, `p90 latency ${p90.toFixed(1)} ms within the 30 ms target`);
    // Throughput in the second half against the server's best (knee / base = 0.8 per ms).
    const throughput = r.latencies.length / 30_000;
    assert.ok(throughput >= 0.8 * 0.85, `throughput ${throughput.toFixed(3)}/ms is at least 85% of the best`);
  });

  it("derives its target from the unloaded latency when none is given", () => {
    const limiter = adaptiveConcurrency<number>({ initial: 1, tolerance: 1.5 });
    const r = simulate(limiter, { knee: 8, baseMs: 10, durationMs: 30_000 });
    assert.equal(limiter.targetLatencyMs, 15);
    const limit = mean(r.limits);
    assert.ok(limit >= 6 && limit <= 12, `mean limit ${limit.toFixed(1)}`);
  });

  it("backs off on overload errors (429) even when latency is fine", () => {
    const limiter = adaptiveConcurrency<number>({ initial: 1, targetLatencyMs: 1000 });
    const changes: AdaptiveConcurrencyEvents["limit"][] = [];
    limiter.on("limit", (e) => changes.push(e));
    // The server answers 429 above 10 concurrent requests, at no latency cost.
    const r = simulate(limiter, {
      knee: 1000,
      baseMs: 10,
      durationMs: 30_000,
      fail: (n) => (n > 10 ? Object.assign(new Error("busy"), { status: 429 }) : undefined),
    });
    assert.ok(Math.max(...r.limits) <= 13, `limit stays near 10, max ${Math.max(...r.limits)}`);
    assert.ok(changes.some((c) => c.reason === "overload"));
  });

  it("does not grow a limit the traffic does not use", () => {
    const limiter = adaptiveConcurrency<number>({ initial: 4, targetLatencyMs: 100 });
    // Two requests at a time, never more.
    for (let t = 0; t < 1000; t++) {
      assert.equal(limiter.tryAcquire(1, t * 10), 0);
      assert.equal(limiter.tryAcquire(2, t * 10), 0);
      limiter.release(1, { ok: true, latencyMs: 5 }, t * 10 + 5);
      limiter.release(2, { ok: true, latencyMs: 5 }, t * 10 + 5);
    }
    assert.equal(limiter.limit, 4);
  });

  it("a Retry-After decreases the limit once per round trip", () => {
    const limiter = adaptiveConcurrency<number>({ initial: 20, targetLatencyMs: 100 });
    limiter.penalize(1, 1000, 0);
    assert.equal(limiter.limit, 16);
    limiter.penalize(2, 1000, 0);
    assert.equal(limiter.limit, 16, "a burst of 429s from one round trip counts once");
    limiter.penalize(3, 1000, 50);
    assert.equal(limiter.limit, 12);
    assert.equal(limiter.stats().decreases, 2);
  });

  it("admits while inFlight < limit and wakes waiters on release", () => {
    const limiter = adaptiveConcurrency<number>({ min: 2, max: 2 });
    let woken = 0;
    limiter.onChange(() => woken++);
    assert.equal(limiter.tryAcquire(1, 0), 0);
    assert.equal(limiter.tryAcquire(2, 0), 0);
    assert.equal(limiter.tryAcquire(3, 0), Infinity);
    limiter.release(1, { ok: true, latencyMs: 1 }, 1);
    assert.equal(woken, 1);
    assert.equal(limiter.inFlight, 1);
  });

  it("validates", () => {
    assert.throws(
      () => adaptiveConcurrency({ min: 5, max: 2 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "max",
    );
    assert.throws(
      () => adaptiveConcurrency({ initial: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "initial",
    );
    assert.throws(
      () => adaptiveConcurrency({ decrease: 1 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "decrease",
    );
    assert.throws(
      () => adaptiveConcurrency({ tolerance: 1 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "tolerance",
    );
  });
});
