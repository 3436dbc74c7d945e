import type { ExecutionContext } from "../stage/StageContext.js";
import type { TaskState } from "../state/TaskState.js";

/**
 * Where a run's spans go: the `tracer` option of `run()`. Made by `tracing(tracer)` from
 * `"weir/otel"` (OpenTelemetry); the core only calls it, so it never loads a tracing library.
 *
 * @example
 * ```ts
 * import { tracing } from "weir/otel";
 * await p.run({ tracer: tracing(trace.getTracer("my-app")) });
 * ```
 */
export interface RunTracer {
  /** A run starts: returns what the run reports its stages' attempts and tasks to. */
  start(run: TracedRun): RunTrace;
}

/** The run a {@link RunTracer} traces. */
export interface TracedRun {
  /** What runs: a pipeline or a workflow. */
  readonly kind: "pipeline" | "workflow";
  /** The pipeline's or workflow's name. */
  readonly name: string;
}

/** One traced run. */
export interface RunTrace {
  /**
   * A stage of the pipeline, called once per stage before the run starts: what its attempts
   * report to, or undefined to leave the stage untraced.
   */
  stage(stage: {
    readonly name: string;
    readonly kind: string;
    readonly context: ExecutionContext;
  }): StageTrace | undefined;
  /** A workflow task reached a final state (its times are readings of the run's clock). */
  task(task: TaskState, nowMs: number): void;
  /** The run ended: `ok` false when it failed or was cancelled (with `error`). */
  end(ok: boolean, error: unknown): void;
}

/** What a stage reports to its {@link RunTrace}. */
export interface StageTrace {
  /** An attempt failed with `error` (reported before that attempt's {@link StageTrace.attempt}). */
  failed(error: unknown): void;
  /**
   * An attempt ended after `durationMs`: one item's (async and pool stages) or a batch's of
   * `items` (fused inline stages, `batch()` stages).
   */
  attempt(durationMs: number, items: number): void;
}

/** True when `value` can be a run's `tracer` option. */
export function isRunTracer(value: unknown): value is RunTracer {
  return typeof value === "object" && value !== null && typeof (value as RunTracer).start === "function";
}
