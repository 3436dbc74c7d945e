import type { RangeSet } from "./RangeSet.js";

/**
 * A pipeline's durable state at one group commit: everything a resume needs for a replayable
 * source. Items below `watermark` are all done; `done` holds the indexes above it that are done
 * too (finished out of order). Written in the same transaction as the commit group's inbox
 * deletions and dead letters.
 *
 * @example
 * ```ts
 * run.checkpoint({ watermark: 1200, done, accumulators: { rows: pendingRows }, stageState: { dedupe: seenKeys } });
 * ```
 */
export interface CheckpointInput {
  /** Every source index below this is done. */
  readonly watermark: number;
  /** Indexes at or above `watermark` that are done; those below it are dropped. @default empty */
  readonly done?: RangeSet;
  /** Per `batch()` stage, the items it holds that were not yet flushed. @default {} */
  readonly accumulators?: Readonly<Record<string, readonly unknown[]>>;
  /** Per stage, the state it declared (msgpack-able). @default {} */
  readonly stageState?: Readonly<Record<string, unknown>>;
  /** Known total of source items, for progress. @default the run's total */
  readonly total?: number;
}

/** The latest committed checkpoint of a run, as `lastCheckpoint()` reads it back. */
export interface Checkpoint {
  /** 1 for the run's first checkpoint, then +1 per committed checkpoint (across resumes). */
  readonly seq: number;
  readonly watermark: number;
  /** Done indexes above the watermark. */
  readonly done: RangeSet;
  readonly accumulators: Readonly<Record<string, readonly unknown[]>>;
  readonly stageState: Readonly<Record<string, unknown>>;
  /** Wall-clock ms when it was taken. */
  readonly at: number;
}
