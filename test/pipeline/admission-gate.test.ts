import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { CircuitOpenError } from "../../src/errors/CircuitOpenError.js";
import { turns } from "../helpers.js";

describe("admission gate in a stage", () => {
  it("a rate limit faster than the timer wheel's tick is kept on a wheel run (admission timers are not coarsened)", async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const run = pipeline("p")
      .from(Array.from({ length: 200 }, (_, i) => i))
      .map(
        async (x) => {
          started.push(clock.now());
          return x;
        },
        { name: "call", concurrency: 4, rateLimit: { perSecond: 1000 } },
      )
      .run({ clock, timerResolutionMs: 10 });
    await clock.advance(100);
    // 1 ms apart: 0, 1, …, 100 by t = 100 (one per 10 ms tick would be 11)
    assert.ok(started.length >= 100, `${started.length} started in the first 100 ms`);
    await clock.advance(150);
    const r = await run;
    assert.equal(r.stats.call!.out, 200);
    for (let i = 0; i < started.length; i++) {
      assert.ok(started[i]! >= i, `item ${i} started at ${started[i]}: earlier than the rate allows`);
      assert.ok(started[i]! <= i + 10, `item ${i} started at ${started[i]}: more than one tick late`);
    }
  });

  it("a waiter due for its key while every slot is busy waits for a slot, not on a timer firing every microsecond", async () => {
    const clock = new ManualClock();
    const started: string[] = [];
    const run = pipeline("p")
      .from(["a1", "a2", "b1"])
      .map(
        async (x) => {
          started.push(`${x}@${clock.now()}`);
          // b1 is a long call: a2 becomes due for key "a" at 1,000 while b1 holds the only slot
          await new Promise<void>((r) => clock.setTimer(r, x === "b1" ? 5_000 : 10));
          return x;
        },
        {
          name: "call",
          concurrency: 1,
          ordered: false,
          rateLimit: { key: (x: string) => x[0]!, perKey: { perSecond: 1, burst: 1 } },
        },
      )
      .run({ clock });
    // before the fix the gate re-armed its timer SLACK_MS (1e-6 ms) ahead from 1,000 until the
    // slot freed at 5,010: billions of timer firings, so this advance never returned
    await clock.advance(20_000);
    const r = await run;
    assert.equal(r.stats.call!.out, 3);
    assert.deepEqual(started, ["a1@0", "b1@10", "a2@5010"], "a2 held for its key alone let b1 run, then took the slot");
  });

  it("a per-key limit holds only its key: other keys are served meanwhile, FIFO within each key", async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const run = pipeline("p")
      .from([..."aaaaabbbbb"].map((k, i) => ({ k, i })))
      .map(
        async (x) => {
          log.push(`${x.k}${x.i}@${clock.now()}`);
          return x;
        },
        { concurrency: 10, rateLimit: { key: (x: { k: string }) => x.k, perKey: { perSecond: 1 } } },
      )
      .run({ clock });
    await clock.advance(5000);
    await run;
    const of = (k: string): string[] => log.filter((e) => e.startsWith(k));
    assert.deepEqual(of("a"), ["a0@0", "a1@1000", "a2@2000", "a3@3000", "a4@4000"]);
    assert.deepEqual(of("b"), ["b5@0", "b6@1000", "b7@2000", "b8@3000", "b9@4000"]);
  });

  it("ctx.retryAfter on one key holds that key only", async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let next!: () => void;
    const gate = new Promise<void>((r) => (next = r));
    async function* source(): AsyncGenerator<{ k: string; i: number }> {
      yield { k: "a", i: 0 };
      await gate;
      yield { k: "a", i: 1 };
      yield { k: "b", i: 2 };
      yield { k: "b", i: 3 };
    }
    const run = pipeline("p")
      .from(source)
      .map(
        async (x, ctx) => {
          log.push(`${x.k}${x.i}@${clock.now()}`);
          if (x.i === 0) ctx.retryAfter(5000);
          return x;
        },
        {
          name: "call",
          concurrency: 4,
          rateLimit: { key: (x: { k: string }) => x.k, perKey: { perSecond: 100, burst: 10 } },
        },
      )
      .run({ clock });
    await clock.advance(0);
    next();
    await clock.advance(100);
    assert.deepEqual(log, ["a0@0", "b2@0", "b3@0"], "key b is not held by key a's Retry-After");
    await clock.advance(5000);
    const r = await run;
    assert.deepEqual(log, ["a0@0", "b2@0", "b3@0", "a1@5000"]);
    assert.equal(r.stats.call!.penalties, 1);
  });

  it("items held for their key alone take no concurrency slot: more of them than the concurrency do not hold other keys", async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    let next!: () => void;
    const gate = new Promise<void>((r) => (next = r));
    async function* source(): AsyncGenerator<{ k: string; i: number }> {
      yield { k: "a", i: 0 };
      await gate;
      for (let i = 1; i <= 5; i++) yield { k: "a", i };
      yield { k: "b", i: 6 };
      yield { k: "b", i: 7 };
    }
    const run = pipeline("p")
      .from(source)
      .map(
        async (x, ctx) => {
          running++;
          most = Math.max(most, running);
          log.push(`${x.k}${x.i}@${clock.now()}`);
          if (x.i === 0) ctx.retryAfter(60_000);
          await new Promise<void>((r) => clock.setTimer(r, 10));
          running--;
          return x;
        },
        {
          name: "call",
          concurrency: 2,
          ordered: false,
          rateLimit: { key: (x: { k: string }) => x.k, perKey: { perSecond: 1000, burst: 10 } },
        },
      )
      .run({ clock });
    await clock.advance(10);
    next();
    await clock.advance(100);
    assert.deepEqual(
      log,
      ["a0@0", "b6@10", "b7@10"],
      "five items of key a wait for its Retry-After; key b runs beside them",
    );
    assert.equal(run.snapshot().stages.find((s) => s.name === "call")!.waiting, 5);
    await clock.advance(60_000);
    const r = await run;
    assert.deepEqual(
      log.slice(3).map((e) => e.split("@")[0]),
      ["a1", "a2", "a3", "a4", "a5"],
    );
    assert.equal(most, 2, "when the key is free again, its waiters start only into free slots");
    assert.equal(r.stats.call!.out, 8);
  });

  it("items held for their key alone are bounded by the stage's capacity: the source is not drained into the gate", async () => {
    const clock = new ManualClock();
    let pulled = 0;
    function* source(): Generator<{ k: string; i: number }> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield { k: "a", i };
      }
    }
    const run = pipeline("p")
      .from(source)
      .map(
        async (x, ctx) => {
          if (x.i === 0) ctx.retryAfter(60_000);
          return x;
        },
        {
          name: "call",
          concurrency: 2,
          capacity: 16,
          ordered: false,
          rateLimit: { key: (x: { k: string }) => x.k, perKey: { perSecond: 1000, burst: 10 } },
        },
      )
      .run({ clock });
    await clock.advance(100);
    const call = run.snapshot().stages.find((s) => s.name === "call")!;
    assert.equal(call.waiting, 16, "held for key a: at most the capacity");
    assert.ok(pulled <= 1 + 16 + 16 + 2, `pulled ${pulled}`);
    await clock.advance(60_000);
    await clock.advance(20_000);
    assert.equal((await run).stats.call!.out, 10_000);
  });

  it("fairBy with a per-key limit: a rate-limited noisy key does not hold a quiet one", async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const items = [...Array.from({ length: 6 }, () => "noisy"), "quiet", "quiet"].map((t, i) => ({ t, i }));
    const run = pipeline("p")
      .from(items)
      .map(
        async (x) => {
          log.push(`${x.t}@${clock.now()}`);
          return x;
        },
        { concurrency: 4, fairBy: (x) => x.t, rateLimit: { key: (x: { t: string }) => x.t, perKey: { perSecond: 1 } } },
      )
      .run({ clock });
    await clock.advance(1000);
    assert.deepEqual(
      log.filter((e) => e.startsWith("quiet")),
      ["quiet@0", "quiet@1000"],
    );
    await clock.advance(10_000);
    await run;
  });

  it("maxWaitMs counts from when the item was queued: items held behind an open breaker give up together", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ name: "api", consecutiveFailures: 2, halfOpenAfterMs: 60_000, clock });
    const gaveUp: Array<[number, number]> = [];
    const run = pipeline("p")
      .from([1, 2, 3, 4, 5])
      .map(
        async (x) => {
          if (x <= 2) throw new Error("down");
          return x;
        },
        { name: "api", breaker, maxWaitMs: 1000, onError: "dead-letter" },
      )
      .run({ clock });
    run.on(
      "stage:dead-letter",
      (e) => void (e.error instanceof CircuitOpenError && gaveUp.push([e.index, clock.now()])),
    );
    await clock.advance(999);
    assert.deepEqual(gaveUp, []);
    await clock.advance(1);
    const r = await run;
    assert.deepEqual(gaveUp, [
      [2, 1000],
      [3, 1000],
      [4, 1000],
    ]);
    assert.equal(r.deadLetters.length, 5);
  });

  it("setLimits at run time wakes items waiting on the limiter (its now defaults to the run's clock)", async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter({ perSecond: 1 });
    const started: number[] = [];
    const run = pipeline("p")
      .from([1, 2, 3])
      .to(async () => void started.push(clock.now()), { concurrency: 3, rateLimit: limiter })
      .run({ clock });
    await clock.advance(100);
    assert.deepEqual(started, [0]);
    limiter.setLimits({ perSecond: 100 });
    await clock.advance(100);
    // the bucket keeps the 0.1 token it refilled by t = 100 and refills at the new rate from there
    assert.deepEqual(started, [0, 109, 119]);
    await run;
  });

  it("bulkhead.setLimit at run time wakes items waiting for a slot", async () => {
    const db = bulkhead({ name: "db", limit: 1 });
    let started = 0;
    const releases: Array<() => void> = [];
    const run = pipeline("p")
      .from([1, 2, 3])
      .to(
        () => {
          started++;
          return new Promise<void>((r) => releases.push(r));
        },
        { concurrency: 3, bulkhead: db },
      )
      .run();
    await turns(5);
    assert.equal(started, 1);
    db.setLimit(3);
    await turns(5);
    assert.equal(started, 3);
    for (const r of releases) r();
    await run;
    assert.equal(db.inUse, 0);
  });
});
