import type { ExecutionContext } from "../../stage/StageContext.js";
import type { FailurePolicy } from "../definition/TaskOptions.js";

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
   * Tasks in the widest level: the concurrency beyond which a level-by-level schedule would gain
   * nothing. weir has no level barriers, so a run may have more tasks running at once (see
   * {@link WorkflowPlan.maxParallelism}); it is a lower bound of that.
   */
  readonly widestLevel: number;
  /**
   * The most tasks that can run at once, whatever their durations: the graph's largest set of
   * tasks no two of which depend on each other, directly or not (its width). Running more tasks
   * concurrently than this never helps. Exact for graphs of up to 2,048 tasks; for larger ones
   * (`maxParallelismExact: false`) a lower bound: the widest level or the widest group of tasks
   * with equal remaining path, whichever is larger.
   *
   * @example
   * ```ts
   * // a0 → {a1, a2}, and b0 alone: levels [[a0, b0], [a1, a2]], widestLevel 2;
   * // a1, a2 and b0 can run together: maxParallelism 3
   * ```
   */
  readonly maxParallelism: number;
  /** True when {@link WorkflowPlan.maxParallelism} is exact, false when it is a lower bound. */
  readonly maxParallelismExact: boolean;
}
