import { WeirError, type WeirErrorCode } from "./WeirError.js";

/**
 * A workflow's shape is wrong: a task names an unknown dependency, two tasks share a name
 * (`WEIR_DUPLICATE_NAME`), or a dynamic task added with `ctx.add()` is invalid. Thrown where the
 * task is defined (or added), never later.
 *
 * @example
 * ```ts
 * try { wf.task("load", { after: ["nope"] }, load); }
 * catch (e) { if (e instanceof WorkflowError) console.log(e.workflow, e.task); }
 * ```
 */
export class WorkflowError extends WeirError {
  /** The class name: `error.name`, and what `WorkflowError.is(e)` matches. */
  static override readonly name: string = "WorkflowError";
  /** The workflow's name. */
  readonly workflow: string;
  /** The task being defined or added. */
  readonly task: string;

  constructor(workflow: string, task: string, message: string, code: WeirErrorCode = "WEIR_WORKFLOW_INVALID") {
    super(code, `workflow "${workflow}": task "${task}": ${message}`);
    this.workflow = workflow;
    this.task = task;
  }
}
