import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { adaptiveConcurrency } from "../../src/policy/AdaptiveConcurrency.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { memoryGuard } from "../../src/policy/MemoryGuard.js";
import { CircuitOpenError } from "../../src/errors/CircuitOpenError.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

const hang = (): Promise<never> => new Promise<never>(() => {});

describe("policies shared with stages", () => {
  it("cancelling a run does not count its in-flight items as failures of a shared breaker", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ name: "api", consecutiveFailures: 3, clock });
    const ac = new AbortController();
    const run = pipeline("p").from([1, 2, 3]).map(hang, { concurrency: 3, breaker }).run({ clock, signal: ac.signal });
    await clock.advance(10);
    ac.abort();
    await run.then(undefined, () => undefined);
    assert.equal(breaker.state, "closed");
    assert.equal(breaker.stats().failures, 0);
    assert.equal(breaker.stats().successes, 0);
  });

  it("cancelling a run gives a shared adaptive limit its slots back, with no samples", async () => {
    const clock = new ManualClock();
    const adaptive = adaptiveConcurrency({ min: 1, max: 16, initial: 8, minWindow: 8, targetLatencyMs: 100 });
    const ac = new AbortController();
    const run = pipeline("p")
      .from(Array.from({ length: 20 }, (_, i) => i))
      .map(hang, { concurrency: 16, admission: adaptive })
      .run({ clock, signal: ac.signal });
    await clock.advance(0);
    assert.equal(adaptive.inFlight, 8);
    await clock.advance(1000); // counted as samples, eight 1 s "latencies" would cut the limit
    ac.abort();
    await run.then(undefined, () => undefined);
    assert.equal(adaptive.inFlight, 0);
    assert.equal(adaptive.limit, 8);
    assert.equal(adaptive.stats().decreases, 0);
  });

  it("two stages sharing one breaker: failures from both open it, both hold their items, and both report it", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ name: "dep", consecutiveFailures: 2, halfOpenAfterMs: 60_000, clock });
    let more!: () => void;
    const later = new Promise<void>((r) => (more = r));
    async function* items(): AsyncGenerator<number> {
      yield 0;
      yield 1;
      await later; // 2 and 3 come once the breaker is open
      yield 2;
      yield 3;
    }
    const src = pipeline("p").from(items);
    const fail = async (): Promise<void> => {
      throw new Error("down");
    };
    src.filter((x) => x % 2 === 0).to(fail, { name: "a", breaker, maxWaitMs: 500, onError: "dead-letter" });
    const run = src
      .filter((x) => x % 2 === 1)
      .to(fail, { name: "b", breaker, maxWaitMs: 500, onError: "dead-letter" })
      .run({ clock });
    await clock.advance(0);
    assert.equal(breaker.state, "open", "one failure from each stage opened it");
    assert.equal(breaker.stats().failures, 2);
    more();
    await clock.advance(500);
    const r = await run;
    const held = r.deadLetters
      .filter((d) => d.error instanceof CircuitOpenError)
      .map((d) => `${d.stage}:${d.index}`)
      .sort();
    assert.deepEqual(held, ["a:2", "b:3"]);
    assert.deepEqual(r.stats.a!.breaker, { name: "dep", state: "open", opens: 1 });
    assert.deepEqual(r.stats.b!.breaker, { name: "dep", state: "open", opens: 1 });
  });

  it("a breaker created without a clock follows the run's clock", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ name: "api", consecutiveFailures: 1, halfOpenAfterMs: 60_000 });
    const calls: number[] = [];
    const run = pipeline("p")
      .from([1, 2])
      .map(
        async (x) => {
          calls.push(clock.now());
          if (x === 1) throw new Error("down");
          return x;
        },
        { name: "api", breaker, onError: "skip" },
      )
      .run({ clock });
    await clock.advance(0);
    assert.equal(breaker.state, "open");
    assert.deepEqual(
      breaker.toJSON(),
      { state: "open", consecutiveFailures: 1, halfOpenInMs: 60_000 },
      "its time is the run's time",
    );
    await clock.advance(59_999);
    assert.deepEqual(calls, [0]);
    await clock.advance(1);
    const r = await run;
    assert.deepEqual(calls, [0, 60_000], "the half-open probe went at 60 s of the run's clock");
    assert.equal(r.stats.api!.breaker?.state, "closed");
  });

  it("a policy on another clock than the run's is refused with an InvalidOptionError naming clock", async () => {
    const breaker = circuitBreaker({ clock: new ManualClock() });
    const run = pipeline("p")
      .from([1])
      .map(async (x) => x, { breaker })
      .run({ clock: new ManualClock() });
    await assert.rejects(Promise.resolve(run), (e: unknown) => e instanceof InvalidOptionError && e.option === "clock");
    const limiter = rateLimiter({ perSecond: 1 });
    await pipeline("p")
      .from([1])
      .map(async (x) => x, { rateLimit: limiter })
      .run({ clock: new ManualClock() });
    const other = pipeline("q")
      .from([1])
      .map(async (x) => x, { rateLimit: limiter })
      .run({ clock: new ManualClock() });
    await assert.rejects(
      Promise.resolve(other),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "clock",
      "already following another run's clock",
    );
  });

  it("a memory guard created without a clock polls on the run's clock", async () => {
    const clock = new ManualClock();
    let heap = 1000;
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const guard = memoryGuard({ highWaterBytes: 500, lowWaterBytes: 200, probe: () => heap, pollMs: 50 });
    const run = pipeline("p")
      .from(source)
      .map(async (x) => x)
      .run({ clock, memory: guard });
    await clock.advance(0);
    assert.equal(pulled, 0, "paused from the start");
    heap = 100;
    await clock.advance(50);
    await run;
    assert.equal(pulled, 100);
    assert.equal(guard.stats().pausedMs, 50);
  });

  it("rateLimit and adaptive sub-options are checked when the stage is defined", () => {
    const p = pipeline("p").from([1]);
    assert.throws(
      () => p.map((x) => x, { name: "fetch", rateLimit: { perSecond: -1 } }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.option === "rateLimit.perSecond" &&
        e.where === 'stage "fetch"' &&
        e.received === "-1",
    );
    assert.throws(
      () =>
        p.map((x) => x, { name: "fetch", rateLimit: { key: (x: number) => x, perKey: { perSecond: 1, burst: 0.5 } } }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "rateLimit.perKey.burst" && e.received === "0.5",
    );
    assert.throws(
      () => p.map((x) => x, { name: "fetch", concurrency: { adaptive: true, max: 8, min: 0 } }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.option === "concurrency.min" &&
        e.where === 'stage "fetch"' &&
        e.received === "0",
    );
  });
});
