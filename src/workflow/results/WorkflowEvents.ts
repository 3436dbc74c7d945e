import type { TaskState } from "../../state/TaskState.js";
import type { FinalWorkflowState } from "../../state/WorkflowSnapshot.js";

/**
 * Events every workflow run emits; subscribe with `run.on(type, handler)`, or pass a shared bus as
 * the run's `events` option (a bus typed `EventBus<RunEvents & WorkflowEvents>` can serve
 * pipelines and workflows alike).
 */
export interface WorkflowEvents {
  /** The run started scheduling. */
  "workflow:start": { readonly workflow: string; readonly at: number; readonly tasks: number };
  /** `run.stop()` was called: no task starts any more; running ones have `graceMs` to finish. */
  "workflow:stopping": { readonly workflow: string; readonly graceMs: number };
  /** The run ended. */
  "workflow:end": {
    readonly workflow: string;
    readonly state: FinalWorkflowState;
    readonly ok: boolean;
    readonly durationMs: number;
    readonly error: unknown;
  };
  /** An attempt of a task started. */
  "task:start": { readonly workflow: string; readonly task: string; readonly attempt: number; readonly at: number };
  /** An attempt failed and another is scheduled after `delayMs`. */
  "task:retry": {
    readonly workflow: string;
    readonly task: string;
    readonly attempt: number;
    readonly delayMs: number;
    readonly error: unknown;
  };
  /** A task reached a final status (completed, failed, skipped or cancelled). */
  "task:end": { readonly workflow: string; readonly task: TaskState };
  /** A running task added a task with `ctx.add()`. */
  "task:added": {
    readonly workflow: string;
    readonly task: string;
    readonly addedBy: string;
    readonly after: readonly string[];
  };
  /**
   * A durable run's store refused something it was given: a failed task's dead letter whose item
   * (its dependency results) msgpack cannot carry. The dead letter stays in memory (the task's
   * state in the result); nothing is dropped silently.
   */
  "store:warning": {
    readonly workflow: string;
    readonly task: string;
    readonly message: string;
    readonly error: unknown;
  };
}

/** Names of the workflow events. */
export type WorkflowEventType = keyof WorkflowEvents;
