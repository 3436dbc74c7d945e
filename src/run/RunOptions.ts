import type { EventSink } from "../events/EventSink.js";
import type { MemoryGuard, MemoryGuardOptions } from "../policy/MemoryGuard.js";
import type { Clock } from "../time/Clock.js";
import type { DeadLetterOptions } from "./DeadLetterOptions.js";
import type { RunEvents } from "./RunEvents.js";
import type { RunDashboardOptions } from "./RunDashboardOptions.js";

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
  /**
   * Cancels the run: it rejects with a CancelledError and every item's `ctx.signal` aborts. Any
   * number of runs may share one signal: they add one listener to it between them, removed when
   * the last of them ends.
   */
  readonly signal?: AbortSignal;
  /** The clock for timeouts, backoff, batch windows and latency. @default the system clock */
  readonly clock?: Clock;
  /** Randomness for retry jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * Per-item timers (timeouts, backoff) run on a timer wheel of this resolution: one system timer
   * for any number of items, each firing up to this late, never early. 0 gives every timer its own
   * `setTimeout`. @default 10 on the system clock; 0 when a `clock` is given
   */
  readonly timerResolutionMs?: number;
  /**
   * Memory-aware backpressure: the source is not pulled while the guard reads above its high-water
   * mark, and resumes below the low-water mark (a `memoryGuard(...)`, or its options).
   * @example `{ memory: { highWaterBytes: 512 * 1024 ** 2 } }`
   */
  readonly memory?: MemoryGuard | MemoryGuardOptions;
  /**
   * Pauses pulling the source while this returns a promise (custom backpressure).
   * @default never pauses
   */
  readonly sourceGate?: () => Promise<void> | undefined;
  /**
   * A bus that receives every event of the run as well, with its own middleware and history:
   * share one bus between pipelines and workflows (type it with both event maps). The run adds no
   * listener to it, so any number of runs leave its listener count unchanged.
   * @default none
   * @example
   * ```ts
   * const bus = new EventBus<RunEvents & WorkflowEvents>({ history: 1_000 });
   * await p.run({ events: bus });
   * await wf.run({ events: bus });
   * ```
   */
  readonly events?: EventSink<RunEvents>;
  /**
   * How many dead letters the result keeps in memory; the rest are counted (every one is emitted
   * as `stage:dead-letter`). See {@link DeadLetterOptions}.
   * @default `{ keep: 1000 }`
   * @example `{ deadLetters: { keep: 100 } }`
   */
  readonly deadLetters?: DeadLetterOptions;
  /**
   * Serves the web dashboard beside the run (loaded from `weir/dashboard` only when given) and
   * prints its URL, token included, on stderr: `true` (127.0.0.1, a free port) or
   * `{ port, host, allowRemote }`. Every run of the process given it shares one dashboard; it
   * never keeps the process alive. See docs/dashboard.md.
   * @default false
   * @example `p.run({ dashboard: true })`
   */
  readonly dashboard?: boolean | RunDashboardOptions;
}
