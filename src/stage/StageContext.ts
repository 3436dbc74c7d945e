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
   * The item's stable key in a durable run (`run({ store })`): `<runId>/<index>`
   * (`<runId>/<source name>/<position>` in a pipeline with several sources), the same on every
   * replay of the item after a resume, so a sink can upsert on it (idempotent writes); in a
   * dead-letter replay, the item's original key. Undefined in a run without a store. Items a
   * flatMap made from one source item share its key.
   */
  readonly key?: string | undefined;
  /**
   * Reports that the service asked to back off (a 429 with Retry-After): when the attempt ends,
   * the stage's rate limiter blocks the item's key (or everything, when it is not keyed) for `ms`,
   * and its adaptive concurrency limit backs off. An error carrying `retryAfterMs` or a
   * `Retry-After` header does the same. Each report counts in the stage's `penalties` stat.
   *
   * Only those two policies take it: in a stage with neither (no `rateLimit`, no adaptive
   * `concurrency`, no such `admission`) it does nothing, and a retry waits only for its backoff.
   * Give the stage a limiter (a shared one, or `rateLimit: { perSecond }`) to honour Retry-After.
   *
   * @example
   * ```ts
   * .map(async (url, ctx) => {
   *   const res = await fetch(url, { signal: ctx.signal });
   *   if (res.status === 429) ctx.retryAfter(Number(res.headers.get("retry-after") ?? 1) * 1000);
   *   return res;
   * }, { rateLimit: quota })
   * ```
   */
  retryAfter(ms: number): void;
}

/** Where a stage's function runs (`fleet`: in `weir worker` processes, through Redis). */
export type ExecutionContext = "inline" | "async" | "worker" | "process" | "fleet";
