/**
 * Cached stages: results memoized by key in a bounded LRU (TTL on an injected clock) and, with a
 * store, in its cache tier, which survives the process (a new store on the same file answers
 * without calling the function). Hits and misses are in the stage's stats.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, pipeline, WeirError, type StageCacheOptions } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pipeline whose "price" stage is cached; each run's outputs go to `job.out` (emptied per run). */
function job(items: readonly number[], cache: StageCacheOptions<number>, calls: number[]) {
  const out: number[] = [];
  const sink = pipeline<number>("cached")
    .from(items)
    .map(
      (n: number) => {
        calls.push(n);
        return n * 100;
      },
      { name: "price", cache },
    )
    .to((n: number) => void out.push(n), { name: "sink" });
  return { sink, out };
}

async function outputs(p: ReturnType<typeof job>): Promise<{ out: number[]; cache: unknown }> {
  p.out.length = 0;
  const r = await p.sink.run();
  return { out: [...p.out], cache: r.stats["price"]?.cache };
}

describe("cached stage", () => {
  it("calls the function once per key; hits and misses in the stats", async () => {
    const calls: number[] = [];
    const { out, cache } = await outputs(job([1, 2, 1, 3, 2, 1], {}, calls));
    assert.deepEqual(out, [100, 200, 100, 300, 200, 100]);
    assert.deepEqual(calls, [1, 2, 3]);
    assert.deepEqual(cache, { hits: 3, storeHits: 0, misses: 3 });
  });

  it("keys by the key function", async () => {
    const calls: number[] = [];
    await outputs(job([1, 2, 3, 4], { key: (n) => n % 2 }, calls));
    assert.deepEqual(calls, [1, 2]);
  });

  it("ttlMs expires entries on the injected clock", async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const p = job([7], { ttlMs: 1000, clock }, calls);
    await outputs(p);
    await clock.advance(999);
    await outputs(p);
    assert.deepEqual(calls, [7], "still fresh at 999 ms");
    await clock.advance(1);
    const again = await outputs(p);
    assert.deepEqual(calls, [7, 7], "expired at 1000 ms");
    assert.deepEqual(again.cache, { hits: 0, storeHits: 0, misses: 1 }, "stats count this run only");
  });

  it("maxEntries bounds memory: the least recently used is evicted", async () => {
    const calls: number[] = [];
    await outputs(job([1, 2, 1, 3, 2, 1], { maxEntries: 2 }, calls));
    // 1,2 miss; 1 hit (2 is now oldest); 3 miss evicts 2; 2 miss evicts 1; 1 miss
    assert.deepEqual(calls, [1, 2, 3, 2, 1]);
  });

  it("with a store, results survive the process: a new store on the file answers without calling", async () => {
    const path = join(dir, "cache.db");
    const first: number[] = [];
    {
      await using store = sqliteStore({ path });
      const { out } = await outputs(job([1, 2, 3], { store }, first));
      assert.deepEqual(out, [100, 200, 300]);
    }
    assert.deepEqual(first, [1, 2, 3]);
    const second: number[] = [];
    await using store = sqliteStore({ path });
    const { out, cache } = await outputs(job([3, 2, 1, 4], { store }, second));
    assert.deepEqual(out, [300, 200, 100, 400]);
    assert.deepEqual(second, [4]);
    assert.deepEqual(cache, { hits: 3, storeHits: 3, misses: 1 });
  });

  it("is validated where the stage is defined", () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return WeirError.is(e) ? e.code : "not a WeirError";
      }
      return undefined;
    };
    const p = pipeline<number>("v").from([1]);
    assert.equal(
      code(() => p.to(() => {}, { cache: {} })),
      "WEIR_INVALID_OPTION",
    );
    // what the stage is, in words (not quoted as if it were the value given)
    assert.throws(
      () => p.to(() => {}, { cache: {} }),
      /option cache: expected a map, filter or flatMap stage on the main loop, received a sink stage$/,
    );
    assert.equal(
      code(() => p.map((n: number) => n, { cache: { maxEntries: 0 } })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => p.map((n: number) => n, { cache: { ttl: 5 } as never })),
      "WEIR_INVALID_OPTION",
    );
  });
});
