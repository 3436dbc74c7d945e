import { WeirError } from "./WeirError.js";

/**
 * A workflow task's last attempt failed. It is the `error` of a workflow result that ended
 * because a task with `onFailure: "fail-workflow"` failed; the original error is its `cause`.
 *
 * @example
 * ```ts
 * const r = await wf.run();
 * if (r.error instanceof TaskError) console.log(r.error.task, r.error.attempts, r.error.cause);
 * ```
 */
export class TaskError extends WeirError {
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
