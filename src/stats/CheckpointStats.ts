import { LatencyHistogram } from "./LatencyHistogram.js";
import type { CheckpointReading } from "./MetricsSink.js";

/**
 * A durable pipeline run's checkpointing, for metrics: commits and their durations, the last
 * committed watermark and when, and the dead letters written to the store by stage. Updated
 * once per group commit and per dead letter: nothing per item.
 */
export class CheckpointStats {
  /** Durations of the group commits that carried a checkpoint, ms (wall time). */
  readonly commits = new LatencyHistogram();
  /** The watermark of the last committed checkpoint (the run's start position before the first). */
  committedWatermark: number;
  /** When the last checkpoint was committed (`Date.now()`), or when the run started. */
  committedAt: number;
  /** Dead letters written to the store, by stage. */
  readonly deadLetters = new Map<string, number>();

  constructor(startWatermark: number, startedAt: number) {
    this.committedWatermark = startWatermark;
    this.committedAt = startedAt;
  }

  /** A checkpoint of `watermark` was committed, `durationMs` after its commit started. */
  committed(watermark: number, durationMs: number, at: number): void {
    this.commits.record(durationMs);
    this.committedWatermark = Math.max(this.committedWatermark, watermark);
    this.committedAt = at;
  }

  /**
   * A reading at `now` (`Date.now()`), the source having admitted up to `admittedEnd` (exclusive;
   * undefined for a run of several sources, whose checkpoint counts items done instead).
   */
  reading(admittedEnd: number | undefined, now: number): CheckpointReading {
    return {
      commits: this.commits,
      lagItems: admittedEnd === undefined ? undefined : Math.max(0, admittedEnd - this.committedWatermark),
      ageMs: Math.max(0, now - this.committedAt),
      deadLetters: this.deadLetters,
    };
  }

  /** A dead letter of `stage` was written to the store. */
  deadLettered(stage: string): void {
    this.deadLetters.set(stage, (this.deadLetters.get(stage) ?? 0) + 1);
  }
}
