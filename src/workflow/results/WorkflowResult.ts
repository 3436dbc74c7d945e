import type { TaskState, TaskStatus } from "../../state/TaskState.js";
import type { FinalWorkflowState, WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";
import { byName } from "./dependencyResults.js";

/** Each task's final state by name: typed for tasks the builder knows, dynamic tasks included. */
export type TaskStates<R> = { readonly [K in keyof R & string]?: TaskState<R[K]> } & {
  readonly [name: string]: TaskState | undefined;
};

/**
 * What a workflow run resolves with: it always resolves (a failed task is data, not an
 * exception); check `ok`, or `error` for the first failure.
 *
 * @example
 * ```ts
 * const r = await wf.run();
 * if (!r.ok) for (const t of failedTasks(r.snapshot)) console.error(t.name, t.error);
 * r.results.transform; // typed by the builder; undefined unless "transform" completed
 * ```
 */
export interface WorkflowResult<R = Record<string, unknown>> {
  /** The workflow's name. */
  readonly workflow: string;
  /** `completed` (every task completed), `failed` (some task failed) or `cancelled`. */
  readonly state: FinalWorkflowState;
  /** True when every task completed. */
  readonly ok: boolean;
  /** True when the run ended after `run.stop()` was called. */
  readonly stopped: boolean;
  /**
   * Why the run is not ok: a `TaskError` for the first task that failed, or a `CancelledError`.
   * Undefined when ok.
   */
  readonly error: unknown;
  /**
   * Results of completed tasks (reused ones included), by name: an object without a prototype,
   * so `results.constructor` is the result of a task named "constructor", or undefined.
   */
  readonly results: { readonly [K in keyof R]?: R[K] };
  /** Every task's final state, by name (an object without a prototype). */
  readonly tasks: TaskStates<R>;
  /** Tasks per final status. */
  readonly counts: Readonly<Record<TaskStatus, number>>;
  /** Clock readings (ms) of the start and end, and their difference. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** The final snapshot (pass the result as `reuse` to re-run what did not complete). */
  readonly snapshot: WorkflowSnapshot;
}

/** The frozen result of a run that ended, from its final snapshot. */
export function workflowResult<R>(
  snapshot: WorkflowSnapshot,
  error: unknown,
  durationMs: number,
  stopped: boolean,
): WorkflowResult<R> {
  // null prototype: a task named "__proto__" or "constructor" is a key like any other
  const results = byName<unknown>();
  const tasks = byName<TaskState>();
  for (const t of snapshot.tasks()) {
    tasks[t.name] = t;
    if (t.status === "completed") results[t.name] = t.result;
  }
  const state = snapshot.state as WorkflowResult["state"];
  return Object.freeze({
    workflow: snapshot.workflow,
    state,
    ok: state === "completed",
    stopped,
    error,
    results: Object.freeze(results) as WorkflowResult<R>["results"],
    tasks: Object.freeze(tasks) as WorkflowResult<R>["tasks"],
    counts: snapshot.counts,
    startedAt: snapshot.startedAt,
    endedAt: snapshot.endedAt ?? snapshot.startedAt + durationMs,
    durationMs,
    snapshot,
  });
}
