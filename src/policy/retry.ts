import {
  knownKeys,
  nonNegativeNumber,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
  func,
  ratio,
} from "../options/validate.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Retry policy for a stage or task: exponential backoff with jitter.
 *
 * @example
 * ```ts
 * .map(fetchPage, { retry: { attempts: 5, baseMs: 100, maxMs: 10_000, retryIf: (e) => isTransient(e) } })
 * ```
 */
export interface RetryOptions {
  /** Total attempts, the first included. `1` means no retry. @default 3 */
  readonly attempts?: number;
  /** Delay before the first retry, in ms; doubles (times `factor`) each retry. @default 100 */
  readonly baseMs?: number;
  /**
   * Largest delay between attempts, in ms. Must be at least `baseMs` when given. @default 30000,
   * or `baseMs` when that is larger (so `{ baseMs: 60_000 }` alone waits 60 s between attempts)
   * @example `{ baseMs: 60_000, maxMs: 600_000 }` (1, 2, 4, 8 minutes…, never above 10)
   */
  readonly maxMs?: number;
  /** Growth factor per retry. @default 2 */
  readonly factor?: number;
  /** Share of each delay that is randomized (0: none, 1: "full jitter"). @default 0.5 */
  readonly jitter?: number;
  /** Retry only errors for which this returns true. @default every error */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
}

/** A retry policy with every field present. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly retryIf: ((error: unknown, attempt: number) => boolean) | undefined;
}

/** Retry defaults, used for any field not given. */
export const retryDefaults: RetryPolicy = Object.freeze({
  attempts: 3,
  baseMs: 100,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
  retryIf: undefined,
});

/** No retry: one attempt. */
export const noRetry: RetryPolicy = Object.freeze({ ...retryDefaults, attempts: 1 });

/**
 * Validates retry options (a number means `{ attempts }`) into a filled policy. An unset `maxMs`
 * is the default cap or `baseMs`, whichever is larger; a given `maxMs` below `baseMs` throws.
 */
export function retryPolicy(value: unknown, where?: string, option = "retry"): RetryPolicy {
  if (value === undefined) return noRetry;
  if (typeof value === "number")
    return Object.freeze({ ...retryDefaults, attempts: positiveInt(value, option, where) });
  const o = plainObject(value, option, where);
  knownKeys(o, optionKeys<RetryOptions>()("attempts", "baseMs", "maxMs", "factor", "jitter", "retryIf"), option, where);
  const baseMs = optional(o.baseMs, retryDefaults.baseMs, (v) => nonNegativeNumber(v, `${option}.baseMs`, where));
  const policy: RetryPolicy = {
    attempts: optional(o.attempts, retryDefaults.attempts, (v) => positiveInt(v, `${option}.attempts`, where)),
    baseMs,
    // a long first delay raises the default cap instead of conflicting with it
    maxMs: optional(o.maxMs, Math.max(retryDefaults.maxMs, baseMs), (v) =>
      nonNegativeNumber(v, `${option}.maxMs`, where),
    ),
    factor: optional(o.factor, retryDefaults.factor, (v) => positiveNumber(v, `${option}.factor`, where)),
    jitter: optional(o.jitter, retryDefaults.jitter, (v) => ratio(v, `${option}.jitter`, where)),
    retryIf: optional(o.retryIf, undefined, (v) =>
      func<(e: unknown, a: number) => boolean>(v, `${option}.retryIf`, where),
    ),
  };
  if (policy.maxMs < policy.baseMs) {
    throw new InvalidOptionError(
      `${option}.maxMs`,
      `at least ${option}.baseMs (${policy.baseMs})`,
      policy.maxMs,
      where,
    );
  }
  return Object.freeze(policy);
}

/**
 * Delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
 * `random` is injectable so tests are deterministic.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxMs, policy.baseMs * policy.factor ** (attempt - 1));
  return raw * (1 - policy.jitter) + raw * policy.jitter * random();
}

/** Whether an error on attempt `attempt` should be retried under `policy`. */
export function shouldRetry(policy: RetryPolicy, error: unknown, attempt: number): boolean {
  if (attempt >= policy.attempts) return false;
  return policy.retryIf === undefined || policy.retryIf(error, attempt);
}
