import type { WeirError } from "../errors/WeirError.js";
import type { StageStats } from "../stats/StageStats.js";

/** A dead-lettered item: kept in the run result (and, with a store, on disk). */
export interface DeadLetter {
  /** The stage that gave up on the item. */
  readonly stage: string;
  /** Source index of the item. */
  readonly index: number;
  /**
   * The item as the stage received it. In a colocated chain of pool stages it is the value the
   * failing stage was given, or the chain's input when that value cannot cross back from the worker.
   */
  readonly item: unknown;
  /** The last error. */
  readonly error: unknown;
  /** Attempts made. */
  readonly attempts: number;
  /**
   * In a keyed run (durable, or a dead-letter replay), the key of an item a flatMap made: its
   * parent's key and its position (`ctx.key`). Absent for other items, whose key derives from
   * `index`.
   */
  readonly key?: string;
}

/** Events every pipeline run emits; subscribe with `run.on(type, handler)`. */
export interface RunEvents {
  /** The run started pulling its source. */
  "run:start": { readonly pipeline: string; readonly at: number };
  /** The run ended: `ok` false when it failed or was cancelled. */
  "run:end": { readonly pipeline: string; readonly ok: boolean; readonly durationMs: number; readonly error?: unknown };
  /** `stop()` was called: the source is no longer pulled. */
  "run:stopping": { readonly pipeline: string; readonly graceMs: number };
  /** An attempt failed (whatever happens next). */
  "stage:error": {
    readonly stage: string;
    readonly index: number;
    readonly item: unknown;
    readonly error: unknown;
    readonly attempt: number;
    /** What happens next: retry, fail (the run), skip, or dead-letter. */
    readonly action: "retry" | "fail" | "skip" | "dead-letter";
  };
  /** A retry was scheduled after `delayMs`. */
  "stage:retry": { readonly stage: string; readonly index: number; readonly attempt: number; readonly delayMs: number };
  /** An item was dead-lettered. */
  "stage:dead-letter": DeadLetter;
  /**
   * An item has to wait for admission: a rate limit (`waitMs` finite), or a full bulkhead, open
   * breaker or adaptive limit (`waitMs` Infinity until capacity frees). `refusal` says which
   * policy and why, where the policy explains itself: a `RateLimitedError` (the limiter, the key
   * when the key was the limit, the wait), `CircuitOpenError` or `BulkheadFullError` — the error
   * the stage would fail the item with after `maxWaitMs`.
   */
  "stage:wait": {
    readonly stage: string;
    readonly index: number;
    readonly waitMs: number;
    readonly refusal: WeirError | undefined;
  };
  /** An adaptive stage moved its concurrency limit. */
  "stage:limit": {
    readonly stage: string;
    readonly previous: number;
    readonly limit: number;
    readonly reason: string;
    readonly latencyMs: number;
  };
  /** A circuit breaker used by a stage changed state. */
  "stage:breaker": {
    readonly stage: string;
    readonly breaker: string;
    readonly from: string;
    readonly to: string;
    readonly reason: string;
  };
  /** A stage's input channel dropped an item (overflow `drop-newest` / `drop-oldest`). */
  "stage:drop": { readonly stage: string; readonly index: number; readonly item: unknown };
  /** A stage finished: its input ended and nothing is in flight. */
  "stage:end": { readonly stage: string; readonly stats: StageStats };
}

/** Names of the run events. */
export type RunEventType = keyof RunEvents;
