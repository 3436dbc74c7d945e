import type { RunSummary } from "./RunSummary.js";

/** A live run the dashboard samples: its row, its page's first message, and its updates. */
export interface Watch {
  readonly id: string;
  /** True once the run ended and its last sample was taken. */
  readonly done: boolean;
  /** The row of the runs page. */
  summary(): RunSummary;
  /** Everything the run's page draws: the first server-sent message of its stream. */
  detail(): unknown;
  /** Samples the run at `now` (ms, monotonic); returns the update its pages get. */
  sample(now: number): unknown;
  /** Stops the run gently (`stop()`), or at once (`cancel: true`). */
  stop(cancel: boolean): void;
}
