import type { StageStats } from "../stats/StageStats.js";
import type { DeadLetter } from "./RunEvents.js";

/** What a finished run resolves with. */
export interface RunResult {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** Per-stage stats, keyed by stage name, in plan order. */
  readonly stats: Readonly<Record<string, StageStats>>;
  /**
   * Items dead-lettered by any stage: the first `deadLetters.keep` of them (default 1,000); the
   * rest are counted in {@link RunResult.deadLettersDropped}. Every one was emitted as
   * `stage:dead-letter`.
   */
  readonly deadLetters: readonly DeadLetter[];
  /** Dead letters beyond `deadLetters.keep`: emitted as `stage:dead-letter`, not kept here. */
  readonly deadLettersDropped: number;
  /** Wall time of the run. */
  readonly durationMs: number;
  /** Items pulled from the source (after `stop()`, what was really read, not the source's length). */
  readonly sourceItems: number;
  /**
   * Every source item with an index below this went all the way through the pipeline (see
   * {@link RunSnapshot.lowWatermark}). Equal to `sourceItems` unless a stop was cut short.
   */
  readonly lowWatermark: number;
  /** True when the run ended because `stop()` was called. */
  readonly stopped: boolean;
  /**
   * Items `stop()`'s grace cut short: when it ran out, those still in flight in a stage
   * (running, retrying, waiting for admission or being expanded), queued in a channel, or
   * waiting in a reorder window, outbox or batch, counted where each was (a flatMap's children
   * and each branch's copy count one each) and aborted. 0 when everything pulled drained: a
   * non-zero count means work was abandoned (a CLI exits non-zero). Items from
   * {@link RunResult.lowWatermark} up to `sourceItems` are the ones a resume would redo.
   */
  readonly abandoned: number;
}

/** An immutable view of a running (or finished) run. */
export interface RunSnapshot {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** `running`, `stopping`, `completed`, `failed` or `cancelled`. */
  readonly state: RunState;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Items pulled from the source so far (never more than were really read, also after `stop()`). */
  readonly sourceItems: number;
  /** True once the source is exhausted (or no longer pulled). */
  readonly sourceDone: boolean;
  /**
   * Every source item with an index below this has left the pipeline (delivered to its sinks,
   * filtered, skipped or dead-lettered). A checkpoint that stores it can resume by skipping that
   * many items: items between it and `sourceItems` are redone, so sinks should be idempotent.
   * It is never ahead of an item that is not done: an item counts from the moment its read
   * starts until it left every branch, also when a stop or an abort cut the run short.
   */
  readonly lowWatermark: number;
  /** Per-stage stats in plan order. */
  readonly stages: readonly StageStats[];
  /** Dead letters so far (all of them, kept in memory or not). */
  readonly deadLetters: number;
  /**
   * The stage that limits throughput: the highest {@link StageStats.utilisation} among the stages
   * that were not back-pressured (waiting for room below) for a tenth or more of the run; undefined
   * while no stage was busy. See `bottleneckStage`.
   */
  readonly bottleneck: string | undefined;
}

/**
 * Life cycle of a run. `cancelled`: its signal aborted (it rejected), or `stop()`'s grace ran out
 * (it resolved, with `abandoned` > 0).
 */
export type RunState = "running" | "stopping" | "completed" | "failed" | "cancelled";
