/**
 * A bounded least-recently-used map with an optional time to live: `get` refreshes an entry's
 * recency (not its age); past `maxEntries`, the least recently used entry is evicted; an entry
 * older than `ttlMs` misses (and is dropped). O(1) per call (a `Map` kept in recency order).
 */
export class MemoryLru {
  readonly #maxEntries: number;
  readonly #ttlMs: number | undefined;
  readonly #now: () => number;
  readonly #entries = new Map<string, { readonly value: unknown; readonly at: number }>();

  constructor(maxEntries: number, ttlMs: number | undefined, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Entries held (expired ones included until read). */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `key`, or undefined (missing or expired). A cached `undefined` is `{ value: undefined }`. */
  get(key: string): { readonly value: unknown } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#ttlMs !== undefined && this.#now() - entry.at >= this.#ttlMs) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Stores `value` for `key` (written now), evicting the least recently used past the bound. */
  set(key: string, value: unknown, at = this.#now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
