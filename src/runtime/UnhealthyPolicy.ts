import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, oneOf, optional, plainObject, positiveInt } from "../options/validate.js";
import { retryDefaults, retryPolicy, type RetryOptions, type RetryPolicy } from "../policy/retry.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * A component's response to failing health checks: `"restart"` it, `"restart-dependents"` (it and
 * its running dependents), or `"stop-runtime"`.
 */
export type UnhealthyAction = "restart" | "restart-dependents" | "stop-runtime";

/**
 * The `onUnhealthy` option of a component, in full.
 *
 * @example
 * ```ts
 * { action: "restart-dependents", after: 2, restarts: { attempts: 5, baseMs: 2_000, maxMs: 60_000 } }
 * ```
 */
export interface UnhealthyOptions {
  /** The response. */
  readonly action: UnhealthyAction;
  /**
   * Unhealthy checks in a row (a throw or a timeout counts) that trigger it; any other result
   * starts the count again.
   * @default 3
   */
  readonly after?: number;
  /**
   * For the restart actions: restarts in a row before giving up, and the backoff between them on
   * the runtime's clock (a number means `{ attempts }`). The first restart is at once; the next
   * waits `baseMs`, then `baseMs × factor`, … up to `maxMs`. A restart whose start fails is
   * retried after the backoff; `retryIf(error, attempt)` may stop that early. The count starts
   * again once the component passes a health check.
   * @default { attempts: 3, baseMs: 1000 } (maxMs 30000, factor 2, jitter 0.5)
   * @example `{ restarts: { attempts: 10, baseMs: 500 } }`
   */
  readonly restarts?: number | RetryOptions;
}

/** A component's `onUnhealthy`, validated, with every field present. */
export interface UnhealthyPolicy {
  readonly action: UnhealthyAction;
  readonly after: number;
  /** Backoff and cap of restarts (unused by `"stop-runtime"`). */
  readonly restarts: RetryPolicy;
}

/** Defaults of `onUnhealthy`. */
export const unhealthyDefaults = Object.freeze({
  after: 3,
  restarts: Object.freeze({ ...retryDefaults, attempts: 3, baseMs: 1_000 }) as RetryPolicy,
});

const actions: readonly UnhealthyAction[] = ["restart", "restart-dependents", "stop-runtime"];

/** Validates a component's `onUnhealthy` option (a string means `{ action }`). */
export function unhealthyPolicy(value: unknown, where: string): UnhealthyPolicy {
  const o = typeof value === "string" ? { action: value } : plainObject(value, "onUnhealthy", where);
  knownKeys(o, optionKeys<UnhealthyOptions>()("action", "after", "restarts"), "onUnhealthy", where);
  const action = oneOf(o.action, actions, "onUnhealthy.action", where);
  const after = optional(o.after, unhealthyDefaults.after, (v) => positiveInt(v, "onUnhealthy.after", where));
  if (action === "stop-runtime" && o.restarts !== undefined)
    throw new InvalidOptionError(
      "onUnhealthy.restarts",
      'a restart action ("restart" or "restart-dependents")',
      action,
      where,
    );
  const restarts =
    o.restarts === undefined
      ? unhealthyDefaults.restarts
      : typeof o.restarts === "number"
        ? Object.freeze({
            ...unhealthyDefaults.restarts,
            attempts: positiveInt(o.restarts, "onUnhealthy.restarts", where),
          })
        : retryPolicy(
            {
              baseMs: unhealthyDefaults.restarts.baseMs,
              attempts: unhealthyDefaults.restarts.attempts,
              ...plainObject(o.restarts, "onUnhealthy.restarts", where),
            },
            where,
            "onUnhealthy.restarts",
          );
  return Object.freeze({ action, after, restarts });
}
