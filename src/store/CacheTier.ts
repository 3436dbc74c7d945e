/** Bounds of one cached stage's entries. */
export interface CacheSetOptions {
  /** Entries older than this miss. @default no expiry */
  readonly ttlMs?: number;
  /** When the stage holds more entries, the oldest-written (expired first) are evicted at commit. @default 100_000 */
  readonly maxEntries?: number;
}

/** A hit: the stored value (a miss is `undefined`, so a cached `undefined` is a hit too). */
export interface CacheHit {
  readonly value: unknown;
  /** Wall-clock ms when it was written. */
  readonly storedAt: number;
}

/**
 * The durable tier of a cached stage (`cache: { key, ttlMs, maxEntries }`): results keyed by stage
 * and cache key, surviving restarts. An in-memory LRU sits in front of it in the stage; this tier
 * is read on a memory miss and written (group-committed) after each computed result.
 */
export interface CacheTier {
  /** The value stored for `key` in `stage`, or undefined (missing or expired). Sees writes not yet committed. */
  get(stage: string, key: string): Promise<CacheHit | undefined>;
  /** Stores a value (queued for the next group commit); throws a `SerializationError` when msgpack cannot carry it. */
  set(stage: string, key: string, value: unknown, options?: CacheSetOptions): void;
  /** Deletes one key, or every entry of the stage; resolves with how many. */
  delete(stage: string, key?: string): Promise<number>;
  /** How many entries the stage holds (expired ones included until evicted). */
  size(stage: string): Promise<number>;
}
