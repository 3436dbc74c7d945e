import type { EventHandler, SubscribeOptions } from "../events/EventBus.js";
import type { RunEvents } from "./RunEvents.js";
import type { RunResult, RunSnapshot } from "./RunResult.js";

/** Options of `stop()`. */
export interface StopOptions {
  /**
   * How long in-flight and queued items may take to drain before the run is aborted (then it
   * rejects with a CancelledError). A non-negative number, or Infinity; anything else makes
   * `stop()` throw an InvalidOptionError. @default Infinity: drain everything already pulled
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
export interface Run extends Promise<RunResult> {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** Aborts when the run fails, is cancelled, or runs out of stop grace. */
  readonly signal: AbortSignal;
  /** Subscribes to run events; returns the unsubscribe function. */
  on<K extends keyof RunEvents>(type: K, handler: EventHandler<RunEvents[K]>, options?: SubscribeOptions): () => void;
  /** An immutable view of the run now. */
  snapshot(): RunSnapshot;
  /**
   * Stops pulling the source at once (a pending read is abandoned and the source closed: an
   * iterator returned, a web stream cancelled, a Node Readable destroyed), drains what was pulled
   * within `graceMs`, then aborts. Resolves like the run (with `stopped: true` when it drained).
   * Emits `run:stopping`. Throws an InvalidOptionError for an invalid `graceMs`.
   */
  stop(options?: StopOptions): Promise<RunResult>;
}
