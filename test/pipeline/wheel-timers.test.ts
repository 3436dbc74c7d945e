import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { sleep } from "../../src/time/Clock.js";

const TICK = 10;

describe("per-item timers on the run's timer wheel (timerResolutionMs: 10, injected clock)", () => {
  it("a batch window fires within one tick of maxWaitMs, never early", async () => {
    const clock = new ManualClock();
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    async function* source(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      yield 3;
      await ended;
    }
    const flushed: Array<{ at: number; size: number }> = [];
    const run = pipeline("p")
      .from(source)
      .batch({ size: 10, maxWaitMs: 95 })
      .to(async (b) => void flushed.push({ at: clock.now(), size: b.length }))
      .run({ clock, timerResolutionMs: TICK });
    await clock.advance(94);
    assert.deepEqual(flushed, [], "not before maxWaitMs");
    await clock.advance(TICK + 1);
    assert.equal(flushed.length, 1);
    const { at, size } = flushed[0]!;
    assert.equal(size, 3);
    assert.ok(at >= 95 && at <= 95 + TICK, `flushed at ${at}`);
    assert.equal(at % TICK, 0, "it fired on a tick of the wheel");
    end();
    await run;
  });

  it("a retry backoff fires within one tick of its delay, never early", async () => {
    const clock = new ManualClock();
    const attempts: number[] = [];
    const run = pipeline("p")
      .from([1])
      .map(
        async (x, ctx) => {
          attempts.push(clock.now());
          if (ctx.attempt === 1) throw new Error("flaky");
          return x;
        },
        { retry: { attempts: 2, baseMs: 95, jitter: 0 } },
      )
      .run({ clock, timerResolutionMs: TICK });
    await clock.advance(94);
    assert.deepEqual(attempts, [0], "not before the backoff");
    await clock.advance(TICK + 1);
    await run;
    assert.equal(attempts.length, 2);
    const at = attempts[1]!;
    assert.ok(at >= 95 && at <= 95 + TICK, `retried at ${at}`);
    assert.equal(at % TICK, 0, "it fired on a tick of the wheel");
  });
});

describe("priority with aging (the default with `priority`)", () => {
  it("a low-priority item under constant high-priority load is served within the aging bound", async () => {
    const clock = new ManualClock();
    const ITEM_MS = 10;
    const CAPACITY = 64;
    const items = Array.from({ length: 1000 }, (_, i) => ({ i, p: i === 5 ? 0 : 2 }));
    let lowAt = -1;
    let served = 0;
    const run = pipeline("p")
      .from(items)
      .to(
        async (x) => {
          served++;
          if (x.p === 0) lowAt = clock.now();
          await sleep(clock, ITEM_MS);
        },
        { priority: (x) => x.p, capacity: CAPACITY },
      )
      .run({ clock });
    // The low item is queued at about 0; every high item served after it was queued later, and
    // one queued more than (2 − 0) / 1 s after it ranks below it. So it is served by 2 s plus the
    // time to serve the queue that was ahead of it then (at most CAPACITY items).
    const bound = 2000 + CAPACITY * ITEM_MS + ITEM_MS;
    while (lowAt < 0 && clock.now() <= bound + 1000) await clock.advance(ITEM_MS);
    assert.ok(lowAt >= 0, "the low-priority item was served");
    assert.ok(lowAt <= bound, `served at ${lowAt} ms (bound ${bound})`);
    assert.ok(lowAt >= 1000, `served at ${lowAt} ms: before high-priority items it should wait for`);
    assert.ok(served < 1000, "under load: the high-priority items were not all done");
    while (served < 1000) await clock.advance(1000);
    await clock.advance(ITEM_MS);
    await run;
  });
});
