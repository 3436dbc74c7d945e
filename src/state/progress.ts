import type { WorkflowSnapshot } from "./WorkflowSnapshot.js";

/** How far a run has come. */
export interface Progress {
  /** Tasks in the run. */
  readonly total: number;
  /** Tasks in a final status (completed, failed, skipped or cancelled). */
  readonly done: number;
  readonly running: number;
  readonly pending: number;
  /** `done / total` (1 for an empty run). */
  readonly ratio: number;
}

/**
 * Progress of a run: a projection, O(1) (it reads the snapshot's counts).
 *
 * @example
 * ```ts
 * const p = progress(run.snapshot());
 * console.log(`${p.done}/${p.total}`);
 * ```
 */
export function progress(snapshot: WorkflowSnapshot): Progress {
  const c = snapshot.counts;
  const total = snapshot.size;
  const done = c.completed + c.failed + c.skipped + c.cancelled;
  return Object.freeze({ total, done, running: c.running, pending: c.pending, ratio: total === 0 ? 1 : done / total });
}
