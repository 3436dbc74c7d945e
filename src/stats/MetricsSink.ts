import type { ExecutionContext } from "../stage/StageContext.js";
import type { TaskState } from "../state/TaskState.js";
import type { StageStats } from "./StageStats.js";

/**
 * Where a run's counters go for a metrics system: the `metrics` option of `run()`. Made by
 * `metrics()` from `"weir/metrics"` (prom-client); the core only calls it, so it never loads a
 * metrics library. A sink reads the run when it is scraped: the run pays nothing per item for it.
 *
 * @example
 * ```ts
 * import { metrics } from "weir/metrics";
 * await p.run({ metrics: metrics(registry) });
 * ```
 */
export interface MetricsSink {
  /**
   * A run started: the sink reads `source` whenever it is scraped. Returns what the run calls once
   * it ended, when its counters are final (a sink keeps them, so totals never go back).
   */
  attach(source: MetricsSource): () => void;
}

/** A run, as a {@link MetricsSink} reads it. */
export interface MetricsSource {
  /** What runs: a pipeline or a workflow. */
  readonly kind: "pipeline" | "workflow";
  /** The pipeline's or workflow's name. */
  readonly name: string;
  /** The counters now. */
  read(): MetricsReading;
}

/** A reading of a pipeline's or a workflow's counters. */
export type MetricsReading = PipelineReading | WorkflowReading;

/** A pipeline's counters, as of one reading. */
export interface PipelineReading {
  readonly kind: "pipeline";
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Mean delay of the main event loop, ms. */
  readonly mainLoopDelayMs: number;
  /** One per stage, in plan order. */
  readonly stages: readonly StageReading[];
  /**
   * End-to-end item latency, ms: from a source batch's admission until every item of it left
   * the pipeline, one sample per item (a pipeline with one source; undefined otherwise).
   */
  readonly itemLatency?: DurationHistogram | undefined;
  /** A durable run's checkpointing (`run({ store })`); undefined without a store. */
  readonly checkpoint?: CheckpointReading | undefined;
}

/** A durable pipeline run's checkpointing, as of one reading. */
export interface CheckpointReading {
  /** Durations of the group commits that carried a checkpoint (wall time). */
  readonly commits: DurationHistogram;
  /**
   * Source items past the last committed checkpoint's watermark: what a resume now would read
   * again (undefined for a pipeline of several sources).
   */
  readonly lagItems: number | undefined;
  /** Milliseconds since the last checkpoint was committed (since the run started, before the first). */
  readonly ageMs: number;
  /** Dead letters written to the store, by stage. */
  readonly deadLetters: ReadonlyMap<string, number>;
}

/** One stage's counters: its {@link StageStats} and what only metrics need. */
export interface StageReading {
  readonly stats: StageStats;
  /** Failed attempts by error code (a WeirError's code, an error's string `code`, or `"none"`). */
  readonly failures: ReadonlyMap<string, number>;
  /** Capacity of its input channel (0 when it has none: fused stages, the source). */
  readonly queueCapacity: number;
  /** Per-attempt durations. */
  readonly durations: DurationHistogram;
  /** Its worker pool, for `worker` and `process` stages. */
  readonly pool: PoolReading | undefined;
}

/** Durations recorded by a stage, readable as cumulative buckets. */
export interface DurationHistogram {
  /** Samples. */
  readonly count: number;
  /** Sum of the samples, ms. */
  readonly sumMs: number;
  /** How many samples were at or below each bound (ms, ascending), to the histogram's resolution (about 12%). */
  cumulative(boundsMs: readonly number[]): number[];
}

/** A worker pool's state, as of one reading. */
export interface PoolReading {
  readonly context: ExecutionContext;
  /** Workers by state: starting (module loading), idle, busy (holding batches), stopping. */
  readonly workers: {
    readonly starting: number;
    readonly idle: number;
    readonly busy: number;
    readonly stopping: number;
  };
  /** Workers that ended for another reason than being idle or the pool closing (crash, limits, hang), so far. */
  readonly restarts: number;
  /** Each live worker's last reported event-loop delay, ms (workers that reported none are left out). */
  readonly workerLoopDelayMs: readonly number[];
}

/** A workflow's tasks, as of one reading. */
export interface WorkflowReading {
  readonly kind: "workflow";
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Every task's state. */
  readonly tasks: readonly TaskState[];
}

/** True when `value` can be a run's `metrics` option. */
export function isMetricsSink(value: unknown): value is MetricsSink {
  return typeof value === "object" && value !== null && typeof (value as MetricsSink).attach === "function";
}
