import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { AdaptiveConcurrency, type AdaptiveConcurrencyOptions } from "./AdaptiveConcurrency.js";
import { RateLimiter, type RateLimiterOptions } from "./RateLimiter.js";

/** The flow-control options of a stage that are given as options, not as policy objects. */
export interface AdmissionOptionValues {
  /** A stage's `rateLimit` when given as options (a limiter object needs no check). */
  readonly rateLimit?: RateLimiterOptions | undefined;
  /** A stage's `concurrency: { adaptive: true, ... }` sub-options. */
  readonly adaptive?: AdaptiveConcurrencyOptions | undefined;
}

/**
 * Validates, when a stage is defined, the policy options a run would otherwise first check when
 * it starts: a `rateLimit` given as options and the `concurrency: { adaptive: true, ... }`
 * sub-options. Throws an `InvalidOptionError` naming the stage (`where`) and the option path
 * (`rateLimit.perSecond`, `concurrency.min`, ...). The policies it builds to check are dropped.
 *
 * @example
 * ```ts
 * validateAdmissionOptions(`stage "fetch"`, { rateLimit: { perSecond: -1 } });
 * // InvalidOptionError: stage "fetch": option rateLimit.perSecond: expected a positive finite number, received -1
 * ```
 */
export function validateAdmissionOptions(where: string, options: AdmissionOptionValues): void {
  const { rateLimit, adaptive } = options;
  if (rateLimit !== undefined) rethrowAt(where, "rateLimit", rateLimit, () => new RateLimiter(rateLimit));
  // the stage supplies its loop's delay as the default loopDelay when the run starts
  if (adaptive !== undefined)
    rethrowAt(where, "concurrency", adaptive, () => new AdaptiveConcurrency(adaptive, { loopDelay: () => 0 }));
}

function rethrowAt(where: string, prefix: string, value: unknown, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    const top = error.option === "options";
    throw new InvalidOptionError(
      top ? prefix : `${prefix}.${error.option}`,
      error.expected,
      top ? value : valueAt(value, error.option),
      where,
    );
  }
}

/** The value at an option path such as `perKey.burst` or `windows[0].limit` (undefined when absent). */
function valueAt(root: unknown, path: string): unknown {
  let v = root;
  for (const part of path.split(/[.[\]]+/)) {
    if (part === "") continue;
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
