import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject, positiveInt, positiveNumber } from "../options/validate.js";
import { keyPrefix } from "./protocol/FleetKeys.js";
import { redisTarget, type RedisConnection, type RedisTarget } from "./redis/RedisConnection.js";

/**
 * Options of a {@link fleet} stage: where Redis is, and how much the origin keeps in flight.
 *
 * @example
 * ```ts
 * fleet(new URL("./embed.js", import.meta.url), "embed", { redis: "redis://redis.internal:6379", maxInFlight: 50_000 })
 * ```
 */
export interface FleetOptions {
  /**
   * The Redis the workers read from: a `redis://` / `rediss://` URL (an ACL user and password in
   * it) or ioredis options. Required.
   * @example `"rediss://weir:s3cret@redis.internal:6380"`
   */
  readonly redis: RedisConnection;
  /**
   * The prefix of every key; `weir worker --prefix` must match.
   * @default "weir"
   * @example `{ prefix: "staging" }`
   */
  readonly prefix?: string;
  /**
   * Most items in flight at once (sent and not answered), per stage and run: this bounds Redis
   * memory and what a crash of the origin leaves behind. A slow fleet slows the source.
   * @default 16384
   * @example `{ maxInFlight: 100_000 }` for a large fleet
   */
  readonly maxInFlight?: number;
  /**
   * Most stream entries (batches) in flight at once. Each worker takes whole entries, so this
   * bounds how many workers can be busy at once when items are slow (few per entry): raise it
   * for a large fleet of slow items.
   * @default 256
   */
  readonly maxBatches?: number;
  /**
   * Most items packed into one stream entry; the size adapts to about `targetBatchMs` of work
   * per entry, as the workers report.
   * @default 1024
   */
  readonly maxBatchSize?: number;
  /**
   * The work one entry should carry, in ms: tiny items travel by the thousand, slow ones a few
   * at a time so that they spread over the fleet.
   * @default 20
   */
  readonly targetBatchMs?: number;
  /**
   * How long workers keep answering a run whose origin stopped refreshing it (an origin killed
   * with kill -9): after that they drop its entries without writing results.
   * @default 60000
   */
  readonly runTtlMs?: number;
  /**
   * How long Redis may be unreachable (at start or mid-run) before the stage gives up: the
   * connection retries with backoff meanwhile and nothing is lost; past it, the items the stage
   * holds fail with `WEIR_REDIS_UNAVAILABLE` and the stage's onError policy applies.
   * @default 30000
   */
  readonly maxOutageMs?: number;
}

/** {@link FleetOptions} checked, every field present. */
export interface FleetSettings {
  readonly redis: RedisTarget;
  readonly prefix: string;
  readonly maxInFlight: number;
  readonly maxBatches: number;
  readonly maxBatchSize: number;
  readonly targetBatchMs: number;
  readonly runTtlMs: number;
  readonly maxOutageMs: number;
}

/** Defaults of {@link FleetOptions}. */
export const fleetDefaults = Object.freeze({
  prefix: "weir",
  maxInFlight: 16384,
  maxBatches: 256,
  maxBatchSize: 1024,
  targetBatchMs: 20,
  runTtlMs: 60_000,
  maxOutageMs: 30_000,
});

const KEYS = [
  "redis",
  "prefix",
  "maxInFlight",
  "maxBatches",
  "maxBatchSize",
  "targetBatchMs",
  "runTtlMs",
  "maxOutageMs",
] as const;

/**
 * Checks fleet options.
 * @throws InvalidOptionError naming the option (`fleet.maxInFlight`), what was expected and received
 */
export function fleetSettings(value: unknown, where: string): FleetSettings {
  const o = plainObject(value, "fleet options", where);
  knownKeys(o, KEYS, "fleet", where);
  if (o.redis === undefined)
    throw new InvalidOptionError("fleet.redis", "a redis:// or rediss:// URL, or ioredis options", undefined, where);
  const prefix = optional(o.prefix, fleetDefaults.prefix, (v) => keyPrefix(v, "fleet.prefix", where));
  return Object.freeze({
    redis: redisTarget(o.redis, "fleet.redis", where),
    prefix,
    maxInFlight: optional(o.maxInFlight, fleetDefaults.maxInFlight, (v) => positiveInt(v, "fleet.maxInFlight", where)),
    maxBatches: optional(o.maxBatches, fleetDefaults.maxBatches, (v) => positiveInt(v, "fleet.maxBatches", where)),
    maxBatchSize: optional(o.maxBatchSize, fleetDefaults.maxBatchSize, (v) =>
      positiveInt(v, "fleet.maxBatchSize", where),
    ),
    targetBatchMs: optional(o.targetBatchMs, fleetDefaults.targetBatchMs, (v) =>
      positiveNumber(v, "fleet.targetBatchMs", where),
    ),
    runTtlMs: optional(o.runTtlMs, fleetDefaults.runTtlMs, (v) => positiveInt(v, "fleet.runTtlMs", where)),
    maxOutageMs: optional(o.maxOutageMs, fleetDefaults.maxOutageMs, (v) => positiveInt(v, "fleet.maxOutageMs", where)),
  });
}
