import type { EventHandler, SubscribeOptions } from "../events/EventBus.js";
import type { RunEvents } from "./RunEvents.js";
import type { RunResult, RunSnapshot } from "./RunResult.js";

/**
 * How long `stop()` lets what was pulled drain before it aborts the rest, by default: 25 s.
 * Orchestrators send SIGKILL a fixed time after SIGTERM (Kubernetes' default
 * `terminationGracePeriodSeconds` and ECS's stop timeout are 30 s), so a stop on SIGTERM with this
 * default leaves about 5 s to abort, close pools and exit before the kill. Pass `graceMs` to match
 * yours (Docker's `docker stop` waits 10 s), or Infinity to drain whatever it takes.
 */
export const STOP_GRACE_MS = 25_000;

/** Options of `stop()`. */
export interface StopOptions {
  /**
   * How long in-flight and queued items may take to drain. When it runs out, what is left is
   * aborted (every item's `ctx.signal` aborts) and the run resolves with `abandoned` counting
   * it. A non-negative number, or Infinity (drain whatever it takes); anything else makes
   * `stop()` throw an InvalidOptionError.
   * @default 25_000 ({@link STOP_GRACE_MS})
   * @example `run.stop({ graceMs: 10_000 })`
   */
  readonly graceMs?: number;
}

/**
 * A running pipeline. Await it for the {@link RunResult}; it rejects with a `StageError` (a stage
 * failed an item under `onError: "fail"`), a `SourceError`, or a `CancelledError`.
 *
 * @example
 * ```ts
 * const run = p.run({ signal });
 * run.on("stage:retry", (e) => log(e));
 * setInterval(() => render(run.snapshot()), 250);
 * const result = await run;
 * ```
 */
export interface Run extends Promise<RunResult>, AsyncDisposable {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** Aborts when the run fails, is cancelled, or runs out of stop grace. */
  readonly signal: AbortSignal;
  /**
   * A durable run's id (`run({ store })`), once the store gave it (after the first await);
   * undefined for a run without a store. `run({ store, resume: id })` continues the run.
   */
  readonly runId?: string | undefined;
  /** Subscribes to run events; returns the unsubscribe function. */
  on<K extends keyof RunEvents>(type: K, handler: EventHandler<RunEvents[K]>, options?: SubscribeOptions): () => void;
  /** An immutable view of the run now. */
  snapshot(): RunSnapshot;
  /**
   * Stops pulling the source at once (a pending read is abandoned and the source closed: an
   * iterator returned, a web stream cancelled, a Node Readable destroyed), drains what was pulled
   * within `graceMs` (default 25 s), then aborts what is left. Resolves like the run, with
   * `stopped: true`, and `abandoned` > 0 when the grace ran out and work was cut short (a CLI
   * should exit non-zero then). Emits `run:stopping`. Throws an InvalidOptionError for an
   * invalid `graceMs`.
   */
  stop(options?: StopOptions): Promise<RunResult>;
  /**
   * For `await using run = p.run()`: when the scope ends, a run still going is stopped with the
   * default grace ({@link STOP_GRACE_MS}: the source is no longer pulled, what was pulled drains),
   * and the scope waits until it settled. Never throws: a failure is what awaiting the run reports.
   */
  [Symbol.asyncDispose](): Promise<void>;
}
