import { nextTaskState, pendingTask, type TaskState } from "../../state/TaskState.js";
import type { AddedTaskRecord, TaskResultRecord } from "../../store/TaskRecords.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import type { ReusePlan } from "../run/reusePlan.js";

/** What a resumed run read from its store: task results by name, and the tasks added at run time. */
export interface StoredRun {
  readonly results: ReadonlyMap<string, TaskResultRecord>;
  readonly added: readonly AddedTaskRecord[];
}

/**
 * Which tasks of `graph` a resumed run takes from its store: every task with a stored result
 * completes with it and never runs again, except the task of the definition that (directly or
 * through other added tasks) added a task that has no stored result. That one runs again, so it
 * can add its tasks again (a function cannot be stored); the added tasks that had completed then
 * complete with their stored results instead of running. Completed added tasks of the other
 * tasks are carried over as they were. O(tasks + added tasks).
 */
export function storedPlan(graph: TaskGraph, stored: StoredRun): ReusePlan {
  const parentOf = new Map<string, string>();
  for (const a of stored.added) parentOf.set(a.task, a.parent);
  const rootOf = (task: string): string | undefined => {
    let current = task;
    for (let hops = 0; hops <= parentOf.size; hops++) {
      const parent = parentOf.get(current);
      if (parent === undefined) return undefined;
      if (graph.index.has(parent)) return parent;
      current = parent;
    }
    return undefined;
  };
  const rerun = new Set<string>();
  for (const a of stored.added) {
    if (stored.results.has(a.task)) continue;
    const root = rootOf(a.task);
    if (root !== undefined) rerun.add(root);
  }
  const completed = (task: string, addedBy?: string): TaskState | undefined => {
    const r = stored.results.get(task);
    if (r === undefined) return undefined;
    const pending = pendingTask(task, addedBy);
    return nextTaskState(pending, "completed", r.attempts, r.result, undefined, undefined, undefined, undefined, true);
  };
  const reused = graph.defs.map((def) => (rerun.has(def.name) ? undefined : completed(def.name)));
  const carried: TaskState[] = [];
  for (const a of stored.added) {
    const root = rootOf(a.task);
    if (root === undefined || rerun.has(root) || graph.index.has(a.task)) continue;
    const state = completed(a.task, a.parent);
    if (state !== undefined) carried.push(state);
  }
  return { reused, carried };
}
