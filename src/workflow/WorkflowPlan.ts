import type { ExecutionContext } from "../stage/StageContext.js";
import type { FailurePolicy } from "./TaskOptions.js";

/** One task in a {@link WorkflowPlan}. */
export interface PlannedTask {
  readonly name: string;
  readonly after: readonly string[];
  /** 0 for a task with no dependencies, else 1 + the largest level of its dependencies. */
  readonly level: number;
  /** Tasks on the longest path from this task to a sink, itself included (the scheduler's tie-break). */
  readonly remainingPath: number;
  readonly priority: number;
  readonly context: ExecutionContext;
  readonly onFailure: FailurePolicy;
}

/**
 * How a workflow will be scheduled: plain, JSON-serializable data.
 *
 * @example
 * ```ts
 * const plan = wf.plan();
 * console.log(plan.levels.length, "levels; critical path:", plan.criticalPath.join(" → "));
 * ```
 */
export interface WorkflowPlan {
  readonly workflow: string;
  readonly tasks: readonly PlannedTask[];
  readonly taskCount: number;
  readonly edgeCount: number;
  /** Task names by level (a task runs after every task it depends on, so after its level's predecessors). */
  readonly levels: readonly (readonly string[])[];
  /** The longest chain of dependent tasks, first to last: no schedule is shorter than it. */
  readonly criticalPath: readonly string[];
  /**
   * Most tasks that can run at once when levels run one after another (the widest level): the
   * concurrency beyond which a level-by-level schedule gains nothing. weir schedules without
   * level barriers, so a run may exceed it briefly.
   */
  readonly maxParallelism: number;
}
