/**
 * What every stage function receives as its second argument.
 *
 * @example
 * ```ts
 * .map(async (url, ctx) => fetch(url, { signal: ctx.signal }), { timeoutMs: 5_000 })
 * ```
 */
export interface StageContext {
  /** Aborts when the item times out, the run is cancelled, or `stop()` runs out of grace. */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** The stage's name. */
  readonly stage: string;
  /** Index (0-based) of the source item this item derives from. */
  readonly index: number;
  /**
   * Reports that the service asked to back off (a 429 with Retry-After): the stage's rate limiter
   * slows the item's key (or everything) down for `ms`, and adaptive concurrency backs off. An
   * error carrying `retryAfterMs` or a `Retry-After` header does the same.
   */
  retryAfter(ms: number): void;
}

/** Where a stage's function runs. */
export type ExecutionContext = "inline" | "async" | "worker" | "process";
