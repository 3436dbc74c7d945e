import type { OverflowPolicy } from "../channel/Channel.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { retryPolicy, type RetryOptions, type RetryPolicy } from "../policy/retry.js";
import { boolean, func, knownKeys, nonEmptyString, oneOf, optional, plainObject, positiveInt, positiveNumber } from "../options/validate.js";
import type { ErrorPolicy } from "./StageKind.js";

/**
 * Options of a `map`, `filter`, `flatMap`, `tap` or `to` stage.
 *
 * @example
 * ```ts
 * .map(enrich, { name: "enrich", concurrency: 32, retry: { attempts: 5 }, timeoutMs: 5_000, onError: "dead-letter" })
 * ```
 */
export interface StageOptions<I = unknown> {
  /** Name in stats, events, errors and the plan. Unique in the pipeline. @default the function's name, else `<kind>-<n>` */
  readonly name?: string;
  /** Items processed at once. @default 1 */
  readonly concurrency?: number;
  /** Emit in input order whatever the concurrency. @default true */
  readonly ordered?: boolean;
  /**
   * Size of the bounded channel in front of the stage, and of its reorder window: a slow item
   * holds back at most this many later items. @default max(64, 2 × the stage's window)
   */
  readonly capacity?: number;
  /** What the channel in front does when full. @default "block" */
  readonly overflow?: OverflowPolicy;
  /** Retry failed attempts (a number is `{ attempts }`). @default no retry */
  readonly retry?: RetryOptions | number;
  /** Abort an attempt (its `ctx.signal`) and fail it after this many ms. @default none */
  readonly timeoutMs?: number;
  /** What happens to an item whose last attempt failed. @default "fail" */
  readonly onError?: ErrorPolicy;
  /** Higher first within the stage's queue; FIFO among equals. @default arrival order */
  readonly priority?: (item: I) => number;
  /**
   * Where the function runs: `inline` (fused into the step before it: synchronous functions
   * only), `async` (concurrent promises on the main loop). @default inline for synchronous
   * functions with no concurrency, retry, timeout or priority; async otherwise
   */
  readonly context?: "inline" | "async";
}

/** Options of a `batch` stage. */
export interface BatchOptions {
  /** Items per batch (the last may be smaller). */
  readonly size: number;
  /** Flush a partial batch when its first item has waited this long. @default wait for `size` */
  readonly maxWaitMs?: number;
  /** @default `batch-<n>` */
  readonly name?: string;
  /** Channel in front of the batcher. @default 2 × size, at least 64 */
  readonly capacity?: number;
}

/** Stage options with every field decided. */
export interface StageSettings {
  readonly name: string | undefined;
  readonly concurrency: number;
  readonly ordered: boolean;
  readonly capacity: number | undefined;
  readonly overflow: OverflowPolicy;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly onError: ErrorPolicy;
  readonly priority: ((item: unknown) => number) | undefined;
  readonly context: "inline" | "async" | undefined;
}

/** Stage defaults, used for every option not given. */
export const stageDefaults = Object.freeze({
  concurrency: 1,
  ordered: true,
  overflow: "block" as OverflowPolicy,
  onError: "fail" as ErrorPolicy,
  minCapacity: 64,
});

const stageKeys = ["name", "concurrency", "ordered", "capacity", "overflow", "retry", "timeoutMs", "onError", "priority", "context"] as const;

/** Validates stage options; `where` names the stage for error messages. */
export function stageSettings(value: unknown, where: string): StageSettings {
  const o = value === undefined ? {} : plainObject(value, "options", where);
  knownKeys(o, stageKeys, "", where);
  const settings: StageSettings = {
    name: optional(o.name, undefined, (v) => nonEmptyString(v, "name", where)),
    concurrency: optional(o.concurrency, stageDefaults.concurrency, (v) => positiveInt(v, "concurrency", where)),
    ordered: optional(o.ordered, stageDefaults.ordered, (v) => boolean(v, "ordered", where)),
    capacity: optional(o.capacity, undefined, (v) => positiveInt(v, "capacity", where)),
    overflow: optional(o.overflow, stageDefaults.overflow, (v) => oneOf(v, ["block", "drop-newest", "drop-oldest"], "overflow", where)),
    retry: retryPolicy(o.retry, where),
    timeoutMs: optional(o.timeoutMs, undefined, (v) => positiveNumber(v, "timeoutMs", where)),
    onError: optional(o.onError, stageDefaults.onError, (v) => oneOf(v, ["fail", "skip", "dead-letter"], "onError", where)),
    priority: optional(o.priority, undefined, (v) => func<(item: unknown) => number>(v, "priority", where)),
    context: optional<"inline" | "async" | undefined>(o.context, undefined, (v) => oneOf(v, ["inline", "async"] as const, "context", where)),
  };
  return Object.freeze(settings);
}

/** Validates batch options. */
export function batchSettings(value: unknown, where: string): { size: number; maxWaitMs: number | undefined; name: string | undefined; capacity: number | undefined } {
  if (value === undefined) throw new InvalidOptionError("size", "a positive integer", undefined, where);
  const o = plainObject(value, "options", where);
  knownKeys(o, ["size", "maxWaitMs", "name", "capacity"], "", where);
  return {
    size: positiveInt(o.size, "size", where),
    maxWaitMs: optional(o.maxWaitMs, undefined, (v) => positiveNumber(v, "maxWaitMs", where)),
    name: optional(o.name, undefined, (v) => nonEmptyString(v, "name", where)),
    capacity: optional(o.capacity, undefined, (v) => positiveInt(v, "capacity", where)),
  };
}
