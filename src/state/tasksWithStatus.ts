import { projection } from "./projection.js";
import type { TaskState, TaskStatus } from "./TaskState.js";
import type { WorkflowSnapshot } from "./WorkflowSnapshot.js";

/**
 * Tasks of `snapshot` in `status`, in definition order, as a frozen array. O(tasks); use the
 * memoized {@link failedTasks} / {@link runningTasks} when polling.
 *
 * @example
 * ```ts
 * tasksWithStatus(run.snapshot(), "skipped").map((t) => `${t.name} (because ${t.skippedBecause})`);
 * ```
 */
export function tasksWithStatus(snapshot: WorkflowSnapshot, status: TaskStatus): readonly TaskState[] {
  const out: TaskState[] = [];
  if (snapshot.counts[status] === 0) return Object.freeze(out);
  for (const t of snapshot.tasks()) if (t.status === status) out.push(t);
  return Object.freeze(out);
}

/** Failed tasks of a snapshot (memoized per snapshot). */
export const failedTasks = projection((s: WorkflowSnapshot) => tasksWithStatus(s, "failed"));

/** Running tasks of a snapshot (memoized per snapshot). */
export const runningTasks = projection((s: WorkflowSnapshot) => tasksWithStatus(s, "running"));
