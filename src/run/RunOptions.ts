import type { EventSink } from "../events/EventSink.js";
import type { MetricsSink } from "../stats/MetricsSink.js";
import type { RunTracer } from "../stats/RunTracer.js";
import type { MemoryGuard, MemoryGuardOptions } from "../policy/MemoryGuard.js";
import type { Clock } from "../time/Clock.js";
import type { DeadLetterOptions } from "./DeadLetterOptions.js";
import type { RunEvents } from "./RunEvents.js";
import type { Store } from "../store/Store.js";
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
   * Makes the run durable: it is recorded in this store (`sqliteStore()` from `weir/sqlite` for a
   * file that survives the process, `memoryStore()` for this process), every item gets a stable
   * `ctx.key` (`<runId>/<index>`), and each group commit checkpoints how far the run got, so that
   * `run({ store, resume: runId })` continues it after a crash or a kill without redoing what was
   * done. See docs/durability.md.
   * @default none (the run lives in memory only)
   * @example `await p.run({ store: sqliteStore(), runId: "nightly-2026-12-03" })`
   */
  readonly store?: Store;
  /** The id of a new durable run (with `store`). @default a random UUID (read it as `run.runId`) */
  readonly runId?: string;
  /**
   * Continues the durable run with this id (with `store`): from its last checkpoint, with the same
   * item keys. Refused with `WEIR_PLAN_CHANGED` when the pipeline's shape changed (unless `force`),
   * and with `WEIR_RUN_OWNED` while another live process holds the run.
   * @default none (a new run)
   */
  readonly resume?: string;
  /** Resumes (`resume`) even when the pipeline's shape changed since the run started. @default false */
  readonly force?: boolean;
  /**
   * Publishes the run's counters to a metrics system, read when it is scraped (nothing per item):
   * a `metrics(registry)` from `"weir/metrics"` (prom-client). Runs of one pipeline add up under
   * its name; totals survive the run.
   * @default none
   * @example
   * ```ts
   * import { metrics } from "weir/metrics";
   * await p.run({ metrics: metrics(registry) });
   * ```
   */
  readonly metrics?: MetricsSink;
  /**
   * Records a span per attempt (async and pool stages) or per batch (fused inline stages,
   * `batch()` stages), linked to a span for the run: a `tracing(tracer)` from `"weir/otel"`
   * (OpenTelemetry). Nothing is recorded per item without it.
   * @default none
   * @example
   * ```ts
   * import { tracing } from "weir/otel";
   * await p.run({ tracer: tracing(trace.getTracer("my-app")) });
   * ```
   */
  readonly tracer?: RunTracer;
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
