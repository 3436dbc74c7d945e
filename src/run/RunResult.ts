import type { StageStats } from "../stats/StageStats.js";
import type { DeadLetter } from "./RunEvents.js";

/** What a finished run resolves with. */
export interface RunResult {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** Per-stage stats, keyed by stage name, in plan order. */
  readonly stats: Readonly<Record<string, StageStats>>;
  /** Items dead-lettered by any stage. */
  readonly deadLetters: readonly DeadLetter[];
  /** Wall time of the run. */
  readonly durationMs: number;
  /** Items pulled from the source. */
  readonly sourceItems: number;
  /** True when the run ended because `stop()` was called (and drained within its grace). */
  readonly stopped: boolean;
}

/** An immutable view of a running (or finished) run. */
export interface RunSnapshot {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** `running`, `stopping`, `completed`, `failed` or `cancelled`. */
  readonly state: RunState;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Items pulled from the source so far. */
  readonly sourceItems: number;
  /** True once the source is exhausted (or no longer pulled). */
  readonly sourceDone: boolean;
  /**
   * Every source item with an index below this has left the pipeline (delivered to its sinks,
   * filtered, skipped or dead-lettered). A checkpoint that stores it can resume by skipping that
   * many items: items between it and `sourceItems` are redone, so sinks should be idempotent.
   */
  readonly lowWatermark: number;
  /** Per-stage stats in plan order. */
  readonly stages: readonly StageStats[];
  /** Dead letters so far. */
  readonly deadLetters: number;
}

/** Life cycle of a run. */
export type RunState = "running" | "stopping" | "completed" | "failed" | "cancelled";
