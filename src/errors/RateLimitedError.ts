import { WeirError } from "./WeirError.js";

/**
 * A rate limiter would not admit an item within the time the caller would wait (a stage's
 * `maxWaitMs`). The item then follows the stage's error policy.
 */
export class RateLimitedError extends WeirError {
  /** The class name: `error.name`, and what `RateLimitedError.is(e)` matches. */
  static override readonly name: string = "RateLimitedError";
  /** Name of the limiter. */
  readonly limiter: string;
  /** The limited key, when the limiter is keyed and the key was the limit. */
  readonly key: string | undefined;
  /** Ms until the limiter may admit the item. */
  readonly retryAfterMs: number;

  constructor(limiter: string, retryAfterMs: number, key?: string) {
    super(
      "WEIR_RATE_LIMITED",
      `rate limiter "${limiter}"${key === undefined ? "" : ` key "${key}"`} is over its limit; next permit in ${Math.ceil(retryAfterMs)} ms`,
    );
    this.limiter = limiter;
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}
