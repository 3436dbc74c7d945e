import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  adaptiveConcurrency,
  InvalidOptionError,
  pipeline,
  worker,
  type AdaptiveConcurrency,
  type AdaptiveConcurrencyEvents,
} from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { sleep } from "../../src/time/Clock.js";

type Move = AdaptiveConcurrencyEvents["limit"];

/** Completes `windows` full windows at `latencyMs` each, the limit always used in full. */
function drive(limiter: AdaptiveConcurrency<number>, windows: number, latencyMs: number, clock: { now: number }): void {
  for (let w = 0; w < windows; w++) {
    const n = limiter.limit;
    for (let i = 0; i < n; i++) assert.equal(limiter.tryAcquire(i, clock.now), 0);
    limiter.tryAcquire(-1, clock.now); // saturated: one more is refused
    clock.now += latencyMs;
    for (let i = 0; i < n; i++) limiter.release(i, { ok: true, latencyMs }, clock.now);
  }
}

describe("adaptive concurrency: event-loop delay as an input", () => {
  it("grows below the headroom band, holds inside it, shrinks above the threshold (reason loop-delay)", () => {
    let delay = 0;
    const moves: Move[] = [];
    const limiter = adaptiveConcurrency<number>({
      min: 1,
      max: 64,
      initial: 8,
      minWindow: 1,
      targetLatencyMs: 1_000,
      maxLoopDelayMs: 50,
      loopDelay: () => delay,
    });
    limiter.on("limit", (e) => void moves.push(e));
    const clock = { now: 0 };
    drive(limiter, 3, 10, clock);
    assert.equal(limiter.limit, 11, "a quiet loop: +1 per window");
    delay = 48; // inside the band (45..50): hold
    drive(limiter, 3, 10, clock);
    assert.equal(limiter.limit, 11);
    delay = 80; // above: shrink by the overshoot (50 / 80 = 0.625)
    drive(limiter, 1, 10, clock);
    assert.equal(limiter.limit, 6);
    const last = moves.at(-1)!;
    assert.equal(last.reason, "loop-delay");
    assert.equal(last.loopDelayMs, 80);
    assert.equal(limiter.stats().lastLoopDelayMs, 80);
    assert.equal(limiter.stats().maxLoopDelayMs, 50);
    delay = 500; // far above: never by less than half
    drive(limiter, 1, 10, clock);
    assert.equal(limiter.limit, 3);
    delay = 1;
    drive(limiter, 2, 10, clock);
    assert.equal(limiter.limit, 5, "recovers once the loop is quiet");
  });

  it("without maxLoopDelayMs the loop delay is not an input (off by default)", () => {
    const limiter = adaptiveConcurrency<number>({ min: 1, max: 64, initial: 8, minWindow: 1, targetLatencyMs: 1_000 });
    drive(limiter, 3, 10, { now: 0 });
    assert.equal(limiter.limit, 11);
    assert.equal(limiter.stats().maxLoopDelayMs, undefined);
    assert.equal(limiter.stats().lastLoopDelayMs, undefined);
  });

  it("a source that throws or returns garbage reads as unknown: the limit holds, nothing breaks", () => {
    let reading: () => number = () => {
      throw new Error("histogram gone");
    };
    const limiter = adaptiveConcurrency<number>({
      min: 1,
      max: 64,
      initial: 8,
      minWindow: 1,
      targetLatencyMs: 1_000,
      maxLoopDelayMs: 50,
      loopDelay: () => reading(),
    });
    const clock = { now: 0 };
    drive(limiter, 2, 10, clock);
    assert.equal(limiter.limit, 8);
    reading = () => Number.NaN;
    drive(limiter, 2, 10, clock);
    assert.equal(limiter.limit, 8);
    assert.equal(limiter.stats().lastLoopDelayMs, undefined);
  });

  it("validates the options: a source needs a threshold, a standalone threshold needs a source", () => {
    const check = (options: object, option: string): void =>
      void assert.throws(
        () => adaptiveConcurrency(options),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option,
      );
    check({ loopDelay: () => 0 }, "loopDelay");
    check({ maxLoopDelayMs: 50 }, "loopDelay");
    check({ maxLoopDelayMs: 0, loopDelay: () => 0 }, "maxLoopDelayMs");
    check({ maxLoopDelayMs: 50, loopDelay: 5 }, "loopDelay");
    const p = pipeline<number>("p").from([1]);
    // in a stage the stage's own loop is the default source
    p.map((x) => x, { concurrency: { adaptive: true, max: 8, maxLoopDelayMs: 50 } });
    assert.throws(() => p.map((x) => x, { concurrency: { adaptive: true, max: 8, maxLoopDelayMs: -1 } }), {
      code: "WEIR_INVALID_OPTION",
      option: "concurrency.maxLoopDelayMs",
    });
    assert.throws(() => p.map((x) => x, { concurrency: { adaptive: true, max: 8, loopDelay: () => 1 } }), {
      code: "WEIR_INVALID_OPTION",
      option: "concurrency.loopDelay",
    });
  });

  it("as a stage option on the injected clock: an injected loop delay shrinks the limit and lets it grow back", async () => {
    const clock = new ManualClock();
    let delay = 0;
    const call = async (x: number): Promise<number> => {
      await sleep(clock, 10);
      return x;
    };
    const run = pipeline<number>("p")
      .from(Array.from({ length: 600 }, (_, i) => i))
      .map(call, {
        name: "api",
        concurrency: {
          adaptive: true,
          min: 1,
          max: 32,
          initial: 4,
          targetLatencyMs: 1_000,
          maxLoopDelayMs: 40,
          loopDelay: () => delay,
        },
      })
      .run({ clock });
    const moves: Array<{ limit: number; reason: string }> = [];
    run.on("stage:limit", (e) => void moves.push({ limit: e.limit, reason: e.reason }));
    let done = false;
    const finished = run.then(() => (done = true));
    while (!done && !moves.some((m) => m.limit >= 12)) await clock.advance(5);
    delay = 100; // the loop is busy now
    while (!done && !moves.some((m) => m.reason === "loop-delay" && m.limit <= 4)) await clock.advance(5);
    const busiest = moves.length;
    delay = 0;
    while (!done) await clock.advance(5);
    await finished;
    const r = await run;
    assert.equal(r.stats.api!.out, 600);
    const shrinks = moves.filter((m) => m.reason === "loop-delay");
    assert.ok(shrinks.length >= 2, `loop-delay moves: ${JSON.stringify(shrinks)}`);
    assert.ok(
      moves.slice(0, busiest).every((m) => m.reason === "increase" || m.reason === "loop-delay"),
      "latency stayed under target: every decrease was the loop's",
    );
    assert.ok(
      moves.slice(busiest).some((m) => m.reason === "increase"),
      "it grew again once the loop was quiet",
    );
  });

  it("a worker stage reads its workers' own loop delay by default (a worker loop blocked 150 ms per item)", async () => {
    const blockLoop = worker<number, number>(
      new URL("../fixtures/workers/blockLoop.mjs", import.meta.url),
      "blockLoop",
      { minWorkers: 2, maxWorkers: 2 },
    );
    const run = pipeline<number>("blocked")
      .from(Array.from({ length: 12 }, () => 150))
      .map(blockLoop, {
        name: "block",
        concurrency: {
          adaptive: true,
          min: 1,
          max: 4,
          initial: 4,
          minWindow: 1,
          targetLatencyMs: 600_000,
          maxLoopDelayMs: 40,
        },
      })
      .run();
    const moves: Array<{ limit: number; reason: string }> = [];
    run.on("stage:limit", (e) => void moves.push({ limit: e.limit, reason: e.reason }));
    const r = await run;
    assert.equal(r.stats.block!.out, 12);
    assert.ok(r.stats.block!.loopDelayMs > 40, `the workers' loop delay: ${r.stats.block!.loopDelayMs}`);
    assert.ok(
      moves.some((m) => m.reason === "loop-delay"),
      `it backed off on the workers' loop delay: ${JSON.stringify(moves)}`,
    );
  });
});
