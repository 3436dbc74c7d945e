import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, type TimerHandle } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

/** A manual clock that counts the timers set on it, and refuses a storm of them (fails fast, not hangs). */
class CountingClock extends ManualClock {
  timers = 0;
  override setTimer(callback: () => void, ms: number): TimerHandle {
    if (++this.timers > 10_000) throw new Error(`timer storm: ${this.timers} timers, the last for ${ms} ms`);
    return super.setTimer(callback, ms);
  }
}

describe("admission gate timers", () => {
  it("a key's due waiter that waits for a free slot sets no timer: the stage drains again when an attempt ends", async () => {
    const clock = new CountingClock();
    const run = pipeline("p")
      .from([
        { k: "a", i: 0 },
        { k: "a", i: 1 },
        { k: "a", i: 2 },
        { k: "b", i: 3 },
        { k: "b", i: 4 },
      ])
      .map(
        async (x: { k: string; i: number }, ctx) => {
          if (x.i === 0) ctx.retryAfter(1_000);
          await new Promise<void>((r) => clock.setTimer(r, 10_000));
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
    // key a's waiters are due at 1 s, while both slots are busy until 10 s
    await clock.advance(40_000);
    const r = await run;
    assert.equal(r.stats.call!.out, 5);
    assert.ok(clock.timers < 100, `${clock.timers} timers set (one every 1e-6 ms while waiting spins)`);
  });
});
