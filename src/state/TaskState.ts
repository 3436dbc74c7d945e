/** Life cycle of one workflow task. */
export type TaskStatus = "pending" | "running" | "completed" | "failed" | "skipped" | "cancelled";

/** Every task status, in life-cycle order. */
export const taskStatuses: readonly TaskStatus[] = Object.freeze([
  "pending",
  "running",
  "completed",
  "failed",
  "skipped",
  "cancelled",
]);

/**
 * One task of a workflow run, frozen. A change makes a new object, so an unchanged task is the
 * same object in consecutive snapshots (compare with `===`). Times are readings of the run's
 * clock, in ms.
 */
export interface TaskState<T = unknown> {
  /** The task's name. */
  readonly name: string;
  readonly status: TaskStatus;
  /** Attempts started so far (0 while pending, and for reused or skipped tasks). */
  readonly attempts: number;
  /** The result, once completed. */
  readonly result: T | undefined;
  /** The last attempt's error, once failed (or a CancelledError / TimeoutError). */
  readonly error: unknown;
  /** When the first attempt started. */
  readonly startedAt: number | undefined;
  /** When the task reached its final status. */
  readonly endedAt: number | undefined;
  /** `endedAt - startedAt`, once both are known. */
  readonly durationMs: number | undefined;
  /** For a skipped task: the failed (or skipped) dependency that caused it. */
  readonly skippedBecause: string | undefined;
  /** True when the result was carried over from an earlier run (`reuse`), not recomputed. */
  readonly reused: boolean;
  /** For a task added with `ctx.add()`: the task that added it. */
  readonly addedBy: string | undefined;
}

/** A pending task's state. */
export function pendingTask(name: string, addedBy?: string): TaskState {
  return Object.freeze({
    name,
    status: "pending",
    attempts: 0,
    result: undefined,
    error: undefined,
    startedAt: undefined,
    endedAt: undefined,
    durationMs: undefined,
    skippedBecause: undefined,
    reused: false,
    addedBy,
  });
}

/** A task's next state: `prev` with a new status and the fields that change with it, frozen. */
export function nextTaskState(
  prev: TaskState,
  status: TaskStatus,
  attempts: number,
  result: unknown,
  error: unknown,
  startedAt: number | undefined,
  endedAt: number | undefined,
  skippedBecause: string | undefined = undefined,
  reused = false,
): TaskState {
  return Object.freeze({
    name: prev.name,
    status,
    attempts,
    result,
    error,
    startedAt,
    endedAt,
    durationMs: startedAt !== undefined && endedAt !== undefined ? endedAt - startedAt : undefined,
    skippedBecause,
    reused,
    addedBy: prev.addedBy,
  });
}
