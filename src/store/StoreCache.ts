import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { nonEmptyString, plainObject, positiveInt, positiveNumber, knownKeys } from "../options/validate.js";
import type { CacheHit, CacheSetOptions, CacheTier } from "./CacheTier.js";
import { encode } from "./codec.js";
import { decodeBlob } from "./decodeRows.js";
import { OpenGroupOps } from "./OpenGroupOps.js";
import type { RunHost } from "./RunHost.js";
import type { CacheSetOp } from "./WriteOp.js";

/** Default bound of one stage's entries in the durable tier. */
export const defaultCacheMaxEntries = 100_000;

/**
 * The {@link CacheTier} of both stores. Writes join the group commit; reads see the open group's
 * writes first (read-your-writes without a commit), then the backend's rows, expired ones missing.
 */
export class StoreCache implements CacheTier {
  readonly #host: RunHost;
  /** The open group's writes, by `stage \0 key`: what `get` sees before the commit. */
  readonly #pending: OpenGroupOps<string, CacheSetOp>;

  constructor(host: RunHost) {
    this.#host = host;
    this.#pending = new OpenGroupOps(host.group);
  }

  async get(stage: string, key: string): Promise<CacheHit | undefined> {
    const where = `cache stage "${stage}"`;
    this.#check(stage, key, "cache.get");
    const now = this.#host.now();
    const queued = this.#pending.get(`${stage}\0${key}`);
    const row = queued ?? this.#host.backend.readCache(stage, key);
    if (row === undefined || (row.expiresAt !== undefined && row.expiresAt <= now)) return undefined;
    return {
      value: decodeBlob(this.#host.location, row.value, `${where}: key ${JSON.stringify(key)}`),
      storedAt: row.storedAt,
    };
  }

  set(stage: string, key: string, value: unknown, options: CacheSetOptions = {}): void {
    this.#check(stage, key, "cache.set");
    const where = `cache stage "${stage}"`;
    const given = plainObject(options, "options", where);
    knownKeys(given, ["ttlMs", "maxEntries"], "", where);
    const ttlMs = given["ttlMs"] === undefined ? undefined : positiveNumber(given["ttlMs"], "ttlMs", where);
    const maxEntries =
      given["maxEntries"] === undefined
        ? defaultCacheMaxEntries
        : positiveInt(given["maxEntries"], "maxEntries", where);
    const storedAt = this.#host.now();
    const op: CacheSetOp = {
      kind: "cache-set",
      stage,
      key,
      value: encode(value, "cache value", where),
      storedAt,
      expiresAt: ttlMs === undefined ? undefined : storedAt + ttlMs,
      maxEntries,
      cancelled: false,
    };
    this.#pending.supersede(`${stage}\0${key}`, op);
    this.#host.group.push(op);
  }

  async delete(stage: string, key?: string): Promise<number> {
    nonEmptyString(stage, "stage", "cache.delete");
    if (key !== undefined && typeof key !== "string")
      throw new InvalidOptionError("key", "a string", key, "cache.delete");
    this.#host.checkOpen("cache.delete");
    await this.#host.commitAll();
    return this.#host.backend.transaction("cache.delete", () => this.#host.backend.deleteCache(stage, key));
  }

  async size(stage: string): Promise<number> {
    nonEmptyString(stage, "stage", "cache.size");
    this.#host.checkOpen("cache.size");
    await this.#host.commitAll();
    return this.#host.backend.cacheSize(stage);
  }

  #check(stage: string, key: string, operation: string): void {
    nonEmptyString(stage, "stage", operation);
    if (typeof key !== "string") throw new InvalidOptionError("key", "a string", key, `${operation} stage "${stage}"`);
    this.#host.checkOpen(operation);
  }
}
