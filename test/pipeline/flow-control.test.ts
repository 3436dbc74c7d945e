import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { rateLimiter } from "../../src/policy/RateLimiter.js";
import { circuitBreaker } from "../../src/policy/CircuitBreaker.js";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { memoryGuard } from "../../src/policy/MemoryGuard.js";
import { CircuitOpenError } from "../../src/errors/CircuitOpenError.js";
import { turns } from "../helpers.js";

describe("flow control in stages", () => {
  it("rateLimit admits attempts at the limiter's rate on the run's clock, and reports waits", async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const waits: number[] = [];
    const run = pipeline("p")
      .from([1, 2, 3, 4, 5])
      .map(
        async (x) => {
          started.push(clock.now());
          return x;
        },
        { name: "call", concurrency: 5, rateLimit: { perSecond: 10, burst: 2 } },
      )
      .run({ clock });
    run.on("stage:wait", (e) => void waits.push(e.index));
    await clock.advance(0);
    assert.deepEqual(started, [0, 0], "the burst goes at once");
    await clock.advance(1000);
    const r = await run;
    assert.deepEqual(started, [0, 0, 100, 200, 300]);
    assert.deepEqual(waits, [2, 3, 4]);
    assert.equal(r.stats.call!.waits, 3);
  });

  it("stage:wait says which policy holds the item: the refusal the stage would fail it with", async () => {
    const clock = new ManualClock();
    const seen: Array<[string, number, string | undefined]> = [];
    const breaker = circuitBreaker({ name: "api", consecutiveFailures: 5, clock });
    breaker.isolate();
    const p = pipeline("p").from([0, 1, 2]);
    p.map(async (x) => x, { name: "limited", rateLimit: rateLimiter({ name: "quota", perSecond: 1, burst: 2 }) }).to(
      () => {},
    );
    const run = p
      .map(async (x) => x, { name: "guarded", breaker })
      .to(() => {})
      .run({ clock });
    run.on("stage:wait", (e) => void seen.push([e.stage, e.index, e.refusal?.code]));
    await clock.advance(0);
    assert.deepEqual(
      seen.filter((w) => w[0] === "limited"),
      [["limited", 2, "WEIR_RATE_LIMITED"]],
    );
    assert.deepEqual(
      seen.filter((w) => w[0] === "guarded"),
      [["guarded", 0, "WEIR_CIRCUIT_OPEN"]],
    );
    breaker.reset();
    await clock.advance(2_000);
    const r = await run;
    assert.equal(r.stats.guarded!.out, 3);
  });

  it("one limiter shared by two stages holds the rate across both", async () => {
    const clock = new ManualClock();
    const limiter = rateLimiter({ perSecond: 10, burst: 1 });
    const times: number[] = [];
    const src = pipeline("p").from(Array.from({ length: 10 }, (_, i) => i));
    const evens = src
      .filter((x) => x % 2 === 0)
      .to(async () => void times.push(clock.now()), { rateLimit: limiter, name: "a" });
    src.filter((x) => x % 2 === 1).to(async () => void times.push(clock.now()), { rateLimit: limiter, name: "b" });
    const run = evens.run({ clock });
    await clock.advance(2000);
    await run;
    times.sort((x, y) => x - y);
    assert.equal(times.length, 10);
    for (let i = 1; i < times.length; i++)
      assert.ok(times[i]! - times[i - 1]! >= 100, `gap ${times[i]! - times[i - 1]!} at ${i}`);
  });

  it("ctx.retryAfter slows the limiter down for that long, then it recovers", async () => {
    const clock = new ManualClock();
    const times: number[] = [];
    const run = pipeline("p")
      .from([1, 2, 3])
      .map(
        async (x, ctx) => {
          times.push(clock.now());
          if (x === 1) ctx.retryAfter(5000);
          return x;
        },
        { rateLimit: { perSecond: 100, burst: 10 } },
      )
      .run({ clock });
    await clock.advance(0);
    assert.deepEqual(times, [0]);
    await clock.advance(4999);
    assert.deepEqual(times, [0], "blocked for the Retry-After");
    await clock.advance(100);
    await run;
    assert.equal(times.length, 3);
    assert.ok(times[1]! >= 5000);
  });

  it("an error carrying retryAfterMs penalizes the limiter before the retry", async () => {
    const clock = new ManualClock();
    const times: number[] = [];
    const run = pipeline("p")
      .from([1])
      .map(
        async (_x, ctx) => {
          times.push(clock.now());
          if (ctx.attempt === 1) throw Object.assign(new Error("429"), { retryAfterMs: 3000 });
          return 1;
        },
        { rateLimit: { perSecond: 100, burst: 10 }, retry: { attempts: 2, baseMs: 1, jitter: 0 } },
      )
      .run({ clock });
    await clock.advance(10_000);
    await run;
    assert.equal(times.length, 2);
    assert.ok(times[1]! >= 3000, `retried at ${times[1]}`);
  });

  it("an open breaker holds items (not failed) up to maxWaitMs, then onError applies with a CircuitOpenError", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ name: "api", consecutiveFailures: 2, halfOpenAfterMs: 60_000, clock });
    const states: string[] = [];
    const run = pipeline("p")
      .from([1, 2, 3, 4])
      .map(
        async (x) => {
          if (x <= 2) throw new Error("down");
          return x;
        },
        { name: "api", breaker, maxWaitMs: 1000, onError: "dead-letter" },
      )
      .run({ clock });
    run.on("stage:breaker", (e) => void states.push(`${e.from}->${e.to}`));
    await clock.advance(0);
    await turns(5);
    assert.deepEqual(states, ["closed->open"]);
    assert.equal(run.snapshot().stages.find((s) => s.name === "api")!.waiting, 1, "item 3 waits at the open breaker");
    await clock.advance(1000); // items 3 and 4 give up: both were queued at 0
    await clock.advance(1000);
    const r = await run;
    assert.deepEqual(
      r.deadLetters.map((d) => d.index),
      [0, 1, 2, 3],
    );
    assert.ok(r.deadLetters[2]!.error instanceof CircuitOpenError);
    assert.equal((r.deadLetters[2]!.error as CircuitOpenError).code, "WEIR_CIRCUIT_OPEN");
    assert.deepEqual(
      r.stats.api!.breaker,
      { name: "api", state: "open", opens: 1 },
      "the breaker is in the stage's stats",
    );
  });

  it("a bulkhead shared by two stages caps their work together, and is given back when the run ends", async () => {
    const db = bulkhead({ name: "db", limit: 3 });
    let inUse = 0;
    let peak = 0;
    const write = async (): Promise<void> => {
      inUse++;
      peak = Math.max(peak, inUse);
      await turns(2);
      inUse--;
    };
    const src = pipeline("p").from(Array.from({ length: 40 }, (_, i) => i));
    src.to(write, { concurrency: 8, bulkhead: db, name: "a" });
    await src.to(write, { concurrency: 8, bulkhead: db, name: "b" }).run();
    assert.equal(peak, 3);
    assert.equal(db.stats().inUse, 0);
  });

  it("a cancelled run gives back the bulkhead slots its items held", async () => {
    const db = bulkhead({ name: "db", limit: 2 });
    const ac = new AbortController();
    const run = pipeline("p")
      .from([1, 2, 3])
      .to(() => new Promise(() => {}), { concurrency: 2, bulkhead: db })
      .run({ signal: ac.signal });
    await turns(3);
    assert.equal(db.stats().inUse, 2);
    ac.abort();
    await run.then(undefined, () => undefined);
    assert.equal(db.stats().inUse, 0);
  });

  it("adaptive concurrency keeps in-flight items under its limit and reports the limit", async () => {
    let inFlight = 0;
    let over = 0;
    let highest = 2;
    const holder: { run?: ReturnType<typeof p.run> } = {};
    const p = pipeline("p")
      .from(Array.from({ length: 300 }, (_, i) => i))
      .map(
        async (x) => {
          inFlight++;
          // admission happens under the limit of the moment; the limit may fall later, so compare
          // with the highest limit reached so far
          highest = Math.max(highest, holder.run!.snapshot().stages.find((s) => s.name === "adapt")!.limit);
          if (inFlight > highest) over++;
          await turns(1);
          inFlight--;
          return x;
        },
        { name: "adapt", concurrency: { adaptive: true, min: 1, max: 16, initial: 2 } },
      );
    const running = (holder.run = p.run());
    running.on("stage:limit", (e) => void (highest = Math.max(highest, e.limit)));
    const r = await running;
    assert.equal(over, 0);
    assert.equal(r.stats.adapt!.out, 300);
    assert.ok(r.stats.adapt!.limit >= 1 && r.stats.adapt!.limit <= 16);
  });

  it("fairBy serves keys round robin: a quiet tenant is not starved by a noisy one", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const items = [
      { t: "first" },
      ...Array.from({ length: 50 }, () => ({ t: "noisy" })),
      { t: "quiet" },
      { t: "quiet" },
    ];
    const run = pipeline("p")
      .from(items)
      .to(
        async (x) => {
          if (x.t === "first") await gate;
          order.push(x.t);
        },
        { fairBy: (x) => x.t, capacity: 100 },
      )
      .run();
    await turns(5);
    release();
    await run;
    const quiet = order.map((t, i) => (t === "quiet" ? i : -1)).filter((i) => i >= 0);
    assert.ok(quiet[1]! <= 4, `quiet served at ${quiet.join(",")}`);
  });

  it("fairBy at the default capacity: a key with 10 items queued behind 1,000 of another finishes within its fair share", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const items = [
      { t: "first" },
      ...Array.from({ length: 1_000 }, () => ({ t: "noisy" })),
      ...Array.from({ length: 10 }, () => ({ t: "small" })),
    ];
    const p = pipeline("p")
      .from(items)
      .to(
        async (x) => {
          if (x.t === "first") await gate;
          order.push(x.t);
        },
        { fairBy: (x) => x.t, name: "sink" },
      );
    assert.ok(p.plan().steps[1]!.input!.capacity >= 1_024, "a fair queue holds the backlog it schedules");
    const run = p.run();
    await turns(5);
    release();
    await run;
    const small = order.map((t, i) => (t === "small" ? i : -1)).filter((i) => i >= 0);
    assert.equal(small.length, 10);
    // round robin between two keys: the 10th small item leaves by position 2 × 10 (+ "first")
    assert.ok(small[9]! <= 21, `small served at ${small.join(",")}`);
  });

  it("memory-aware backpressure: the source pauses above the high-water mark and resumes below", async () => {
    const clock = new ManualClock();
    let heap = 100;
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        if (i === 100) heap = 1000; // memory climbs
        yield i;
      }
    }
    const guard = memoryGuard({ highWaterBytes: 500, lowWaterBytes: 200, probe: () => heap, pollMs: 50, clock });
    const run = pipeline("p")
      .from(source)
      .map(async (x) => x, { capacity: 16 })
      .run({ clock, memory: guard });
    await clock.advance(0);
    await turns(20);
    const paused = pulled;
    assert.ok(paused >= 100 && paused < 10_000, `paused at ${paused}`);
    await clock.advance(500);
    assert.equal(pulled, paused, "still paused while memory is high");
    heap = 150;
    await clock.advance(50);
    await run;
    assert.equal(pulled, 10_000);
  });

  it("per-item timers run on a timer wheel: a timeout fires within its resolution, never early", async () => {
    const clock = new ManualClock();
    let abortedAt = -1;
    const run = pipeline("p")
      .from([1])
      .map(
        (_x, ctx) =>
          new Promise((_r, reject) =>
            ctx.signal.addEventListener("abort", () => {
              abortedAt = clock.now();
              reject(ctx.signal.reason);
            }),
          ),
        { timeoutMs: 95 },
      )
      .run({ clock, timerResolutionMs: 10 });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    await clock.advance(94);
    assert.equal(abortedAt, -1);
    await clock.advance(20);
    await settled;
    assert.ok(abortedAt >= 95 && abortedAt <= 105, `aborted at ${abortedAt}`);
  });

  it("drops by an overflow policy are events", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const dropped: number[] = [];
    const run = pipeline("p")
      .from(Array.from({ length: 20 }, (_, i) => i))
      .to(async () => gate, { capacity: 5, overflow: "drop-newest", name: "lossy" })
      .run();
    run.on("stage:drop", (e) => void dropped.push(e.index));
    await turns(5);
    release();
    const r = await run;
    assert.equal(dropped.length, r.stats.lossy!.dropped);
    assert.ok(dropped.length > 0);
  });
});
