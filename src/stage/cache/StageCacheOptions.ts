import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { func, knownKeys, optional, plainObject, positiveInt, positiveNumber } from "../../options/validate.js";
import type { Store } from "../../store/Store.js";
import type { Clock } from "../../time/Clock.js";

/**
 * A stage's `cache` option: its results memoized by key, in a bounded in-memory LRU and, with a
 * `store`, in the store's cache tier (SQLite: survives restarts). For pure stages: the function
 * is not called for an item whose key has a result.
 *
 * @example
 * ```ts
 * .map(geocode, { cache: { key: (a) => a.zip, ttlMs: 86_400_000, maxEntries: 50_000, store } })
 * ```
 */
export interface StageCacheOptions<I = unknown> {
  /** The item's cache key. @default JSON.stringify(item) */
  readonly key?: (item: I) => string | number;
  /** A result older than this is computed again. @default no expiry */
  readonly ttlMs?: number;
  /** Entries kept in memory (least recently used evicted), and in the store (oldest-written evicted at commit). @default 10,000 */
  readonly maxEntries?: number;
  /** The durable tier: results are read from and written to `store.cache` on a memory miss. @default none: memory only */
  readonly store?: Store;
  /** Time for `ttlMs` in memory (the store's tier keeps its own clock). @default the system clock */
  readonly clock?: Pick<Clock, "now">;
}

/** The `cache` option, validated. */
export interface StageCacheSettings {
  readonly key: (item: unknown) => string;
  readonly ttlMs: number | undefined;
  readonly maxEntries: number;
  readonly store: Store | undefined;
  readonly now: () => number;
}

/** Default bound of a stage cache. */
export const stageCacheDefaults = Object.freeze({ maxEntries: 10_000 });

const keys = ["key", "ttlMs", "maxEntries", "store", "clock"] as const;

/** Validates a stage's `cache` option. @throws InvalidOptionError naming `cache.<field>` */
export function stageCacheSettings(value: unknown, where: string): StageCacheSettings {
  const o = plainObject(value, "cache", where);
  knownKeys(o, keys, "cache", where);
  const key = optional(o.key, undefined, (v) => func<(item: unknown) => string | number>(v, "cache.key", where));
  const store = optional(o.store, undefined, (v) => {
    const s = v as Partial<Store> | null;
    if (typeof s !== "object" || s === null || typeof s.cache?.get !== "function")
      throw new InvalidOptionError("cache.store", "a Store (memoryStore(), sqliteStore())", v, where);
    return v as Store;
  });
  const clock = optional(o.clock, undefined, (v) => {
    if (typeof (v as Partial<Clock> | null)?.now !== "function")
      throw new InvalidOptionError("cache.clock", "a clock (an object with now())", v, where);
    return v as Pick<Clock, "now">;
  });
  return {
    key: key === undefined ? defaultKey : (item) => String(key(item)),
    ttlMs: optional(o.ttlMs, undefined, (v) => positiveNumber(v, "cache.ttlMs", where)),
    maxEntries: optional(o.maxEntries, stageCacheDefaults.maxEntries, (v) => positiveInt(v, "cache.maxEntries", where)),
    store,
    now: clock === undefined ? Date.now : () => clock.now(),
  };
}

function defaultKey(item: unknown): string {
  return typeof item === "string" ? `s:${item}` : `j:${JSON.stringify(item)}`;
}
