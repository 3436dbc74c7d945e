import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject, positiveInt } from "../../options/validate.js";
import { keyPrefix } from "../protocol/FleetKeys.js";
import { redisTarget, type RedisConnection, type RedisTarget } from "../redis/RedisConnection.js";

/**
 * Options of a fleet worker (`weir worker`, or `startFleetWorker()` in code).
 *
 * @example
 * ```ts
 * await startFleetWorker({ modules: [new URL("./embed.js", import.meta.url).href], redis: "redis://redis:6379", concurrency: 32 });
 * ```
 */
export interface FleetWorkerOptions {
  /** The modules whose exports it serves: file URLs or paths (relative to the working directory). */
  readonly modules: readonly string[];
  /** The Redis the origins write to (see `RedisConnection`). */
  readonly redis: RedisConnection;
  /** Serve only these exports (every exported function when absent). */
  readonly exports?: readonly string[];
  /**
   * Items running at once (asynchronous ones; synchronous items run one after another).
   * @default 16
   */
  readonly concurrency?: number;
  /**
   * Stream entries held at once (running or waiting here): what this worker takes ahead.
   * @default 4
   */
  readonly prefetch?: number;
  /**
   * How long an entry may sit with this worker without a sign of life before another worker
   * takes it over. The worker renews its leases every third of it; a synchronous item that
   * blocks the event loop longer than this loses its entry (its result is then discarded).
   * @default 30000
   */
  readonly leaseMs?: number;
  /**
   * Deliveries an item may get: one that has been handed to this many workers, each of which died
   * or stalled holding it, is answered with `WEIR_FLEET_DELIVERIES` instead of run again.
   * @default 3
   */
  readonly maxDeliveries?: number;
  /** The key prefix; must match the origins'. @default "weir" */
  readonly prefix?: string;
  /** How long Redis may be unreachable before the worker gives up (and stops). @default 30000 */
  readonly maxOutageMs?: number;
  /** The consumer name in the group. @default `<hostname>:<pid>:<random>` */
  readonly name?: string;
  /** Where the worker logs what it does (one line each). @default nowhere */
  readonly log?: (line: string) => void;
}

/** {@link FleetWorkerOptions} checked, every field present. */
export interface FleetWorkerSettings {
  readonly modules: readonly string[];
  readonly redis: RedisTarget;
  readonly exports: readonly string[] | undefined;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly leaseMs: number;
  readonly maxDeliveries: number;
  readonly prefix: string;
  readonly maxOutageMs: number;
  readonly name: string;
  readonly log: (line: string) => void;
}

/** Defaults of {@link FleetWorkerOptions}. */
export const workerDefaults = Object.freeze({
  concurrency: 16,
  prefetch: 4,
  leaseMs: 30_000,
  maxDeliveries: 3,
  prefix: "weir",
  maxOutageMs: 30_000,
});

const KEYS = [
  "modules",
  "redis",
  "exports",
  "concurrency",
  "prefetch",
  "leaseMs",
  "maxDeliveries",
  "prefix",
  "maxOutageMs",
  "name",
  "log",
];

/**
 * Checks worker options.
 * @throws InvalidOptionError naming the option, what was expected and what was received
 */
export function workerSettings(value: unknown, where = "weir worker"): FleetWorkerSettings {
  const o = plainObject(value, "worker options", where);
  knownKeys(o, KEYS, "", where);
  const strings = (v: unknown, option: string): readonly string[] => {
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== "string" || s === ""))
      throw new InvalidOptionError(option, "a non-empty array of non-empty strings", v, where);
    return Object.freeze([...(v as string[])]);
  };
  if (o.redis === undefined)
    throw new InvalidOptionError("redis", "a redis:// or rediss:// URL, or ioredis options", undefined, where);
  const log = optional(
    o.log,
    () => {},
    (v) => {
      if (typeof v !== "function") throw new InvalidOptionError("log", "a function", v, where);
      return v as (line: string) => void;
    },
  );
  return Object.freeze({
    modules: strings(o.modules, "modules"),
    redis: redisTarget(o.redis, "redis", where),
    exports: optional(o.exports, undefined, (v) => strings(v, "exports")),
    concurrency: optional(o.concurrency, workerDefaults.concurrency, (v) => positiveInt(v, "concurrency", where)),
    prefetch: optional(o.prefetch, workerDefaults.prefetch, (v) => positiveInt(v, "prefetch", where)),
    leaseMs: optional(o.leaseMs, workerDefaults.leaseMs, (v) => {
      const ms = positiveInt(v, "leaseMs", where);
      if (ms < 30) throw new InvalidOptionError("leaseMs", "at least 30 (ms)", v, where);
      return ms;
    }),
    maxDeliveries: optional(o.maxDeliveries, workerDefaults.maxDeliveries, (v) =>
      positiveInt(v, "maxDeliveries", where),
    ),
    prefix: optional(o.prefix, workerDefaults.prefix, (v) => keyPrefix(v, "prefix", where)),
    maxOutageMs: optional(o.maxOutageMs, workerDefaults.maxOutageMs, (v) => positiveInt(v, "maxOutageMs", where)),
    name: optional(o.name, `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`, (v) => {
      if (typeof v === "string" && v.length > 0 && !/\s/.test(v)) return v;
      throw new InvalidOptionError("name", "a non-empty string without spaces", v, where);
    }),
    log,
  });
}
