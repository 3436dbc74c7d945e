import type { OverflowPolicy } from "../channel/Channel.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { retryPolicy, type RetryOptions, type RetryPolicy } from "../policy/retry.js";
import {
  boolean,
  func,
  knownKeys,
  nonEmptyString,
  oneOf,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
} from "../options/validate.js";
import type { ErrorPolicy } from "./StageKind.js";
import type { Admission } from "../policy/Admission.js";
import type { AdaptiveConcurrencyOptions } from "../policy/AdaptiveConcurrency.js";
import type { RateLimiterOptions } from "../policy/RateLimiter.js";
import { validateAdmissionOptions } from "../policy/validateAdmissionOptions.js";
import { StageCache } from "./cache/StageCache.js";
import { stageCacheSettings, type StageCacheOptions } from "./cache/StageCacheOptions.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Adaptive concurrency for a stage: the limit moves between `min` and `max`, driven by latency,
 * overload errors (429, 503, timeouts) and, with `maxLoopDelayMs`, the event-loop delay of the
 * loop the stage's work runs on: the main thread's for an async stage, the workers' own (the
 * mean over the pool, as in the stage stats' `loopDelayMs`) for a worker or process stage. The
 * stage keeps at most `max` items in flight.
 *
 * @example
 * ```ts
 * .map(callApi, { concurrency: { adaptive: true, min: 2, max: 64, targetLatencyMs: 200, maxLoopDelayMs: 50 } })
 * ```
 */
export interface AdaptiveConcurrencySetting extends AdaptiveConcurrencyOptions {
  /** Marks the limit as adaptive (give a number for a fixed one). */
  readonly adaptive: true;
  /** Highest limit (the stage's window). */
  readonly max: number;
}

/**
 * Options of a `map`, `filter`, `flatMap`, `tap` or `to` stage.
 *
 * @example
 * ```ts
 * .map(enrich, { name: "enrich", concurrency: 32, retry: { attempts: 5 }, timeoutMs: 5_000, onError: "dead-letter" })
 * ```
 */
export interface StageOptions<I = unknown> {
  /**
   * Name in stats, events, errors and the plan. Unique in the pipeline. Validation errors name
   * the stage by the name it gets. @default the function's name, else `<kind>-<n>`
   * @example `{ name: "enrich" }`
   */
  readonly name?: string;
  /**
   * Items processed at once, or an adaptive limit. @default 1
   * @example `{ concurrency: 32 }`
   */
  readonly concurrency?: number | AdaptiveConcurrencySetting;
  /**
   * Emit in the order the stage took items from its queue, whatever the concurrency. With a FIFO
   * queue (the default) that is input order. With `priority` (or `fairBy`) it is the queue's order,
   * not input order: the queue reorders on purpose, and restoring input order afterwards would make
   * a high-priority item wait behind the low-priority items that arrived before it. @default true
   * @example `{ concurrency: 16, ordered: false }` (emit as items complete)
   */
  readonly ordered?: boolean;
  /**
   * Size of the bounded channel in front of the stage. An ordered stage's reorder window is the
   * larger of this and the items it keeps in flight (its concurrency; for a `worker()` / `child()`
   * stage, its batched window): a slow item holds back at most that many later items.
   * With `priority` or `fairBy`, the queue can only choose among the items it holds: past its
   * capacity, items wait upstream in arrival order, so size it to the backlog to be scheduled.
   * @default max(64, 2 × the stage's window); max(1024, …) with `priority` or `fairBy`
   * @example `{ capacity: 256 }`
   */
  readonly capacity?: number;
  /**
   * What the channel in front does when full. @default "block"
   * @example `{ overflow: "drop-oldest" }` (keep the freshest readings)
   */
  readonly overflow?: OverflowPolicy;
  /**
   * Retry failed attempts (a number is `{ attempts }`). @default no retry
   * @example `{ retry: { attempts: 5, baseMs: 100, retryIf: (e) => isOverload(e) } }`
   */
  readonly retry?: RetryOptions | number;
  /**
   * Abort an attempt (its `ctx.signal`) and fail it after this many ms. @default none
   * @example `{ timeoutMs: 5_000 }`
   */
  readonly timeoutMs?: number;
  /**
   * What happens to an item whose last attempt failed. @default "fail"
   * @example `{ onError: "dead-letter" }`
   */
  readonly onError?: ErrorPolicy;
  /**
   * Higher first within the stage's queue; FIFO among equals; a waiting item's priority rises by
   * `agingPerSecond` (default 1) per second, so low priority never starves. Called once per item as it enters
   * the queue; it must return a finite number: an item whose priority throws or is not one fails
   * under `onError` (with `"fail"`, the run rejects with a StageError naming this stage and the
   * item). With `ordered: true` the output follows the order items leave the queue (see `ordered`).
   * @default arrival order
   * @example `{ priority: (job) => (job.paying ? 10 : 0), concurrency: 4 }`
   */
  readonly priority?: (item: I) => number;
  /**
   * A rate limit on attempts: a limiter shared with other stages (`rateLimiter(...)`), or options
   * for one of this stage's own. @default none
   * @example `{ rateLimit: { perSecond: 50, burst: 10 } }`
   */
  readonly rateLimit?: Admission<I> | RateLimiterOptions<I>;
  /** A circuit breaker (`circuitBreaker(...)`), shareable between stages. While it is open, items wait. @default none */
  readonly breaker?: Admission<I>;
  /** A bulkhead (`bulkhead(...)`): a concurrency budget shared across stages and workflows. @default none */
  readonly bulkhead?: Admission<I>;
  /** Any other admission policies, applied after the ones above. @default none */
  readonly admission?: Admission<I> | readonly Admission<I>[];
  /**
   * How long an item may wait for admission (rate limit, open breaker, full bulkhead) before it
   * fails with the policy's error (`CircuitOpenError`, …) and `onError` applies. @default Infinity
   */
  readonly maxWaitMs?: number;
  /**
   * Serve the stage's queue round robin across `fairBy(item)` keys (tenants, hosts), so one key
   * with many items cannot starve the others. @default arrival order
   */
  readonly fairBy?: (item: I) => string | number;
  /** Items a key is served per turn with `fairBy`. @default 1 */
  readonly fairWeight?: (key: string | number) => number;
  /**
   * With `priority`: how much an item's priority rises per second it waits, so low priority never
   * starves (an item is served before anything queued more than `(pHigh − pLow) / agingPerSecond`
   * seconds after it). Every item ages alike, so FIFO among equals holds.
   * @default 1 (one priority unit per second of waiting)
   * @example `{ priority: (job) => job.urgency, agingPerSecond: 0.1 }` // 10 units of urgency ≈ 100 s of waiting
   */
  readonly agingPerSecond?: number;
  /**
   * Where the function runs: `inline` (fused into the step before it: synchronous functions
   * only), `async` (concurrent promises on the main loop). `inline` is rejected when the stage is
   * defined if the function is an `async function` or the stage has concurrency, retry, a timeout,
   * a priority, fairness or an admission policy. @default inline for synchronous functions with
   * none of those; async otherwise
   * @example `{ context: "async" }` (its own step, even for a synchronous function)
   */
  readonly context?: "inline" | "async";
  /**
   * Memoize the stage's results by item key: a bounded in-memory LRU and, with `store`, the
   * store's cache tier (survives restarts). For pure `map`, `filter` and `flatMap` stages on the
   * main loop. Hits and misses show in the stage's stats (`cache`). See {@link StageCacheOptions}.
   * @default none
   * @example `{ cache: { key: (order) => order.sku, ttlMs: 60_000, maxEntries: 10_000 } }`
   */
  readonly cache?: StageCacheOptions<I>;
}

/**
 * Options of a `batch` stage.
 *
 * @example
 * ```ts
 * .batch({ size: 500, maxWaitMs: 200, name: "rows" })
 * ```
 */
export interface BatchOptions {
  /** Items per batch (the last may be smaller; a batch is never empty). */
  readonly size: number;
  /** Flush a partial batch when its first item has waited this long. @default wait for `size` */
  readonly maxWaitMs?: number;
  /** Name in stats, events, errors and the plan. @default `batch-<n>` */
  readonly name?: string;
  /** Channel in front of the batcher. @default 2 × size, at least 64 */
  readonly capacity?: number;
}

/**
 * Options of `mapBatch`: the batch's size and wait, then the options of the stage that runs the
 * function (they apply to each batch as a whole; `name` names the stage, and `<name>/batch` its
 * batcher).
 *
 * @example
 * ```ts
 * .mapBatch(writeRows, { size: 500, maxWaitMs: 50, concurrency: 4, retry: 3 })
 * ```
 */
export interface MapBatchOptions<T> extends StageOptions<T[]> {
  /** Most items per call (the last batch may be smaller; a batch is never empty). */
  readonly size: number;
  /** Call with a partial batch once its first item has waited this long. @default wait for `size` */
  readonly maxWaitMs?: number;
}

/** Stage options with every field decided. */
export interface StageSettings {
  /** The `name` option; undefined when the builder picks a default. */
  readonly name: string | undefined;
  /** The window: the fixed concurrency, or the adaptive maximum. */
  readonly concurrency: number;
  /** Adaptive concurrency options, when the limit is adaptive. */
  readonly adaptive: AdaptiveConcurrencyOptions | undefined;
  /** A shared limiter or the options of the stage's own. */
  readonly rateLimit: Admission | RateLimiterOptions | undefined;
  /** The circuit breaker, if any. */
  readonly breaker: Admission | undefined;
  /** The bulkhead, if any. */
  readonly bulkhead: Admission | undefined;
  /** Other admission policies, in order. */
  readonly admissions: readonly Admission[];
  /** Longest wait for admission (Infinity: no bound). */
  readonly maxWaitMs: number;
  /** The fair-queue key, if any. */
  readonly fairBy: ((item: unknown) => string | number) | undefined;
  /** Items per turn for a fair-queue key, if given. */
  readonly fairWeight: ((key: string | number) => number) | undefined;
  /** Priority aging per second, if any. */
  readonly agingPerSecond: number | undefined;
  /** Emit in dequeue order. */
  readonly ordered: boolean;
  /** The `capacity` option; undefined for the default. */
  readonly capacity: number | undefined;
  /** What the channel in front does when full. */
  readonly overflow: OverflowPolicy;
  /** The retry policy (one attempt when not retried). */
  readonly retry: RetryPolicy;
  /** The attempt timeout, if any. */
  readonly timeoutMs: number | undefined;
  /** What happens to an item whose last attempt failed. */
  readonly onError: ErrorPolicy;
  /** The priority function, if any. */
  readonly priority: ((item: unknown) => number) | undefined;
  /** The `context` option; undefined lets the plan decide. */
  readonly context: "inline" | "async" | undefined;
  /** The `cache` option's cache; undefined when the stage is not cached. */
  readonly cache?: StageCache | undefined;
}

/** Stage defaults, used for every option not given. */
export const stageDefaults = Object.freeze({
  concurrency: 1,
  ordered: true,
  overflow: "block" as OverflowPolicy,
  onError: "fail" as ErrorPolicy,
  minCapacity: 64,
  /** Default capacity floor of a stage with `priority` or `fairBy`: its queue chooses among what it holds. */
  schedulingCapacity: 1024,
});

const stageKeys = [
  "name",
  "concurrency",
  "ordered",
  "capacity",
  "overflow",
  "retry",
  "timeoutMs",
  "onError",
  "priority",
  "context",
  "rateLimit",
  "breaker",
  "bulkhead",
  "admission",
  "cache",
  "maxWaitMs",
  "fairBy",
  "fairWeight",
  "agingPerSecond",
] as const;

/** The options `mapBatch` takes: its batch's `size`, then a stage's (`maxWaitMs` is the batch's there). */
export const mapBatchKeys: readonly string[] = ["size", ...stageKeys];

function isAdmission(v: unknown): v is Admission {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as Admission).tryAcquire === "function" &&
    typeof (v as Admission).release === "function"
  );
}

function admissionOption(v: unknown, option: string, where: string): Admission {
  if (!isAdmission(v))
    throw new InvalidOptionError(
      option,
      "an admission policy (rateLimiter(), circuitBreaker(), bulkhead() …)",
      v,
      where,
    );
  return v;
}

function concurrencyOption(
  v: unknown,
  where: string,
): { window: number; adaptive: AdaptiveConcurrencyOptions | undefined } {
  if (typeof v === "number") return { window: positiveInt(v, "concurrency", where), adaptive: undefined };
  const o = plainObject(v, "concurrency", where);
  if (o.adaptive !== true)
    throw new InvalidOptionError("concurrency.adaptive", "true (or give concurrency as a number)", o.adaptive, where);
  const max = positiveInt(o.max, "concurrency.max", where);
  const { adaptive: _adaptive, ...rest } = o;
  return { window: max, adaptive: Object.freeze({ name: where, ...rest, max }) as AdaptiveConcurrencyOptions };
}

/** Validates stage options; `where` names the stage for error messages. */
export function stageSettings(value: unknown, where: string): StageSettings {
  const o = value === undefined ? {} : plainObject(value, "options", where);
  knownKeys(o, stageKeys, "", where);
  const conc =
    o.concurrency === undefined
      ? { window: stageDefaults.concurrency, adaptive: undefined }
      : concurrencyOption(o.concurrency, where);
  const admission = o.admission;
  const settings: StageSettings = {
    name: optional(o.name, undefined, (v) => nonEmptyString(v, "name", where)),
    concurrency: conc.window,
    adaptive: conc.adaptive,
    rateLimit: optional<Admission | RateLimiterOptions | undefined>(o.rateLimit, undefined, (v) =>
      isAdmission(v) ? v : (plainObject(v, "rateLimit", where) as RateLimiterOptions),
    ),
    breaker: optional<Admission | undefined>(o.breaker, undefined, (v) => admissionOption(v, "breaker", where)),
    bulkhead: optional<Admission | undefined>(o.bulkhead, undefined, (v) => admissionOption(v, "bulkhead", where)),
    admissions:
      admission === undefined
        ? []
        : (Array.isArray(admission) ? (admission as unknown[]) : [admission]).map((v, i) =>
            admissionOption(v, Array.isArray(admission) ? `admission[${i}]` : "admission", where),
          ),
    maxWaitMs: optional(o.maxWaitMs, Infinity, (v) =>
      v === Infinity ? Infinity : positiveNumber(v, "maxWaitMs", where),
    ),
    fairBy: optional(o.fairBy, undefined, (v) => func<(item: unknown) => string | number>(v, "fairBy", where)),
    fairWeight: optional(o.fairWeight, undefined, (v) =>
      func<(key: string | number) => number>(v, "fairWeight", where),
    ),
    agingPerSecond: optional(o.agingPerSecond, undefined, (v) => positiveNumber(v, "agingPerSecond", where)),
    ordered: optional(o.ordered, stageDefaults.ordered, (v) => boolean(v, "ordered", where)),
    capacity: optional(o.capacity, undefined, (v) => positiveInt(v, "capacity", where)),
    overflow: optional(o.overflow, stageDefaults.overflow, (v) =>
      oneOf(v, ["block", "drop-newest", "drop-oldest"], "overflow", where),
    ),
    retry: retryPolicy(o.retry, where),
    timeoutMs: optional(o.timeoutMs, undefined, (v) => positiveNumber(v, "timeoutMs", where)),
    onError: optional(o.onError, stageDefaults.onError, (v) =>
      oneOf(v, ["fail", "skip", "dead-letter"], "onError", where),
    ),
    priority: optional(o.priority, undefined, (v) => func<(item: unknown) => number>(v, "priority", where)),
    context: optional<"inline" | "async" | undefined>(o.context, undefined, (v) =>
      oneOf(v, ["inline", "async"] as const, "context", where),
    ),
    cache: optional(o.cache, undefined, (v) => new StageCache(stageCacheSettings(v, where))),
  };
  if (settings.agingPerSecond !== undefined && settings.priority === undefined) {
    throw new InvalidOptionError("agingPerSecond", "to be given with priority", settings.agingPerSecond, where);
  }
  if (settings.fairBy !== undefined && settings.priority !== undefined) {
    throw new InvalidOptionError(
      "fairBy",
      "not to be combined with priority (pick one queue discipline)",
      "both",
      where,
    );
  }
  validateAdmissionOptions(where, {
    rateLimit: isAdmission(settings.rateLimit) ? undefined : settings.rateLimit,
    adaptive: settings.adaptive,
  });
  return Object.freeze(settings);
}

/** Validates batch options. */
export function batchSettings(
  value: unknown,
  where: string,
): { size: number; maxWaitMs: number | undefined; name: string | undefined; capacity: number | undefined } {
  if (value === undefined) throw new InvalidOptionError("size", "a positive integer", undefined, where);
  const o = plainObject(value, "options", where);
  knownKeys(o, optionKeys<BatchOptions>()("size", "maxWaitMs", "name", "capacity"), "", where);
  return {
    size: positiveInt(o.size, "size", where),
    maxWaitMs: optional(o.maxWaitMs, undefined, (v) => positiveNumber(v, "maxWaitMs", where)),
    name: optional(o.name, undefined, (v) => nonEmptyString(v, "name", where)),
    capacity: optional(o.capacity, undefined, (v) => positiveInt(v, "capacity", where)),
  };
}
