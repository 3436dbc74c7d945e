import type { Clock } from "../time/Clock.js";

/**
 * Options of `pipeline.run()`.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * await p.run({ signal: ac.signal });
 * ```
 */
export interface RunOptions {
  /** Cancels the run: it rejects with a CancelledError and every item's `ctx.signal` aborts. */
  readonly signal?: AbortSignal;
  /** The clock for timeouts, backoff, batch windows and latency. @default the system clock */
  readonly clock?: Clock;
  /** Randomness for retry jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * Pauses pulling the source while this returns a promise (memory-aware backpressure plugs in
   * here). @default never pauses
   */
  readonly sourceGate?: () => Promise<void> | undefined;
}
