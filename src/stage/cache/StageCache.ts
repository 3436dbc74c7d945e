import type { StageCacheSettings } from "./StageCacheOptions.js";
import { MemoryLru } from "./MemoryLru.js";

/** A cached stage's counts, in its stats. */
export interface StageCacheStats {
  /** Items answered from the cache (memory or store), the function not called. */
  readonly hits: number;
  /** Of the hits, those answered by the store's tier (a memory miss). */
  readonly storeHits: number;
  /** Items for which the function was called. */
  readonly misses: number;
}

/**
 * The cache of one stage definition: wraps its function so that an item whose key has a result
 * (in memory, else in the store's tier) is answered without calling it. A memory hit answers
 * synchronously; the store tier is read asynchronously. Results are stored after the function
 * returned (a failure is not cached). Counts are kept per definition; a run reads them from its
 * start on ({@link StageCache.counter}).
 */
export class StageCache {
  readonly settings: StageCacheSettings;
  readonly #memory: MemoryLru;
  #hits = 0;
  #storeHits = 0;
  #misses = 0;

  constructor(settings: StageCacheSettings) {
    this.settings = settings;
    this.#memory = new MemoryLru(settings.maxEntries, settings.ttlMs, settings.now);
  }

  /** Counts since now: what a run's stage stats show. */
  counter(): () => StageCacheStats {
    const h = this.#hits;
    const s = this.#storeHits;
    const m = this.#misses;
    return () => ({ hits: this.#hits - h, storeHits: this.#storeHits - s, misses: this.#misses - m });
  }

  /** `fn`, memoized. `tier` names the stage in the store (`<pipeline>/<stage>`). */
  wrap<C>(fn: (item: unknown, ctx: C) => unknown, tier: string): (item: unknown, ctx: C) => unknown {
    const { key: keyOf, store, ttlMs, maxEntries } = this.settings;
    const memory = this.#memory;
    const compute = (item: unknown, ctx: C, key: string): unknown => {
      this.#misses++;
      const result = fn(item, ctx);
      const keep = (value: unknown): unknown => {
        memory.set(key, value);
        if (store !== undefined) {
          try {
            store.cache.set(tier, key, value, { ...(ttlMs === undefined ? {} : { ttlMs }), maxEntries });
          } catch {
            // a value the store cannot carry stays cached in memory only
          }
        }
        return value;
      };
      return result instanceof Promise ? result.then(keep) : keep(result);
    };
    return (item, ctx) => {
      const key = keyOf(item);
      const hit = memory.get(key);
      if (hit !== undefined) {
        this.#hits++;
        return hit.value;
      }
      if (store === undefined) return compute(item, ctx, key);
      return store.cache.get(tier, key).then((stored) => {
        if (stored === undefined) return compute(item, ctx, key);
        this.#hits++;
        this.#storeHits++;
        memory.set(key, stored.value);
        return stored.value;
      });
    };
  }
}
