import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/**
 * A stage of one item at a time awaits its promises in a lane that takes each next attempt's
 * promise as the previous one settles (AsyncExecutor): outcomes, order, retries and counts are
 * those of one `.then` per attempt.
 */
describe("an async stage at concurrency 1 (one lane for its promises)", () => {
  it("rejections, resolutions and synchronous returns interleave, in order, each counted once", async () => {
    const out: number[] = [];
    const r = await pipeline<number>("lane")
      .from(range(3_000))
      .map(
        (x) => {
          if (x % 7 === 0) return Promise.reject(new Error(`no ${x}`));
          if (x % 3 === 0) return x * 2; // not a promise: settles without the lane
          return Promise.resolve(x * 2);
        },
        { name: "m", onError: "skip" },
      )
      .to((x) => void out.push(x))
      .run();
    const expected = [...range(3_000)].filter((x) => x % 7 !== 0).map((x) => x * 2);
    assert.deepEqual(out, expected);
    assert.equal(r.stats.m!.errors, 429);
    assert.equal(r.stats.m!.skipped, 429);
    assert.equal(r.stats.m!.out, expected.length);
  });

  it("a retried attempt goes through the lane again and succeeds", async () => {
    const attempts = new Map<number, number>();
    const out: number[] = [];
    const r = await pipeline<number>("lane")
      .from(range(500))
      .map(
        async (x, ctx) => {
          attempts.set(x, ctx.attempt);
          if (x % 5 === 0 && ctx.attempt === 1) throw new Error("once");
          return x;
        },
        { name: "m", retry: { attempts: 2, baseMs: 0, maxMs: 0 } },
      )
      .to(async (x) => void out.push(x))
      .run();
    assert.deepEqual(out, [...range(500)]);
    assert.equal(r.stats.m!.retries, 100);
    assert.equal(attempts.get(5), 2);
    assert.equal(attempts.get(6), 1);
  });

  it("a failing item under onError: fail stops the run with that item", async () => {
    await assert.rejects(
      pipeline<number>("lane")
        .from(range(100))
        .to(async (x) => {
          if (x === 42) throw new Error("42");
        })
        .run(),
      (e: unknown) => (e as { index?: number }).index === 42,
    );
  });
});
