import { WeirError } from "./WeirError.js";

/**
 * A workflow task's last attempt failed. A run's result carries one as its `error` for the first
 * task that failed (whatever its `onFailure`; under `"fail-workflow"` it is also why the run
 * stopped); the original error is its `cause`, and each task's own error is in its state.
 *
 * @example
 * ```ts
 * const r = await wf.run();
 * if (r.error instanceof TaskError) console.log(r.error.task, r.error.attempts, r.error.cause);
 * ```
 */
export class TaskError extends WeirError {
  /** The class name: `error.name`, and what `TaskError.is(e)` matches. */
  static override readonly name: string = "TaskError";
  /** The workflow's name. */
  readonly workflow: string;
  /** The task that failed. */
  readonly task: string;
  /** Attempts made. */
  readonly attempts: number;

  constructor(workflow: string, task: string, cause: unknown, attempts: number) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "WEIR_TASK_FAILED",
      `workflow "${workflow}": task "${task}" failed${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${reason}`,
      { cause },
    );
    this.workflow = workflow;
    this.task = task;
    this.attempts = attempts;
  }
}
