import { WeirError } from "./WeirError.js";

/**
 * A circuit breaker was open (or half-open with every probe taken) for longer than the caller
 * would wait (a stage's `maxWaitMs`). The item then follows the stage's error policy.
 *
 * @example
 * ```ts
 * if (WeirError.is(e) && e.code === "WEIR_CIRCUIT_OPEN") console.log(e.breaker, e.retryAfterMs);
 * ```
 */
export class CircuitOpenError extends WeirError {
  /** The class name: `error.name`, and what `CircuitOpenError.is(e)` matches. */
  static override readonly name: string = "CircuitOpenError";
  /** Name of the breaker. */
  readonly breaker: string;
  /** Ms until the breaker lets a probe through (0 when half-open and waiting on a probe). */
  readonly retryAfterMs: number;

  constructor(breaker: string, retryAfterMs: number) {
    super(
      "WEIR_CIRCUIT_OPEN",
      `circuit breaker "${breaker}" is open${retryAfterMs > 0 ? `; half-open in ${Math.ceil(retryAfterMs)} ms` : "; waiting on a probe"}`,
    );
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}
