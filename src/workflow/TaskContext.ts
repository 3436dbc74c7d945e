import type { TaskFunction } from "./TaskFunction.js";
import type { TaskOptions } from "./TaskOptions.js";

/**
 * What a task function receives. `Deps` maps each dependency's name to its result type, as
 * declared by the workflow builder.
 *
 * @example
 * ```ts
 * .task("load", { after: ["transform"] }, async ({ results, signal, attempt }) =>
 *   db.insert(results.transform, { signal }))
 * ```
 */
export interface TaskContext<Deps = Record<string, unknown>> {
  /** Aborts when the attempt times out, the run is cancelled, or the workflow fails. */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** The task's name. */
  readonly task: string;
  /** The workflow's name. */
  readonly workflow: string;
  /** Results of the dependencies (`undefined` for one that failed under `onFailure: "continue"`). */
  readonly results: Readonly<Deps>;
  /** Errors of dependencies that failed under `onFailure: "continue"`, by name. */
  readonly errors: Readonly<Record<string, unknown>>;
  /**
   * Adds a task to this run. It may depend only on tasks that already exist in the run, so it
   * cannot close a cycle (naming itself in `after` is a `CycleError`); a duplicate or unknown name
   * is a `WorkflowError`. Added tasks are in the result and snapshots with `addedBy` set.
   *
   * @example
   * ```ts
   * .task("list", async (ctx) => {
   *   for (const file of await ls()) ctx.add(`parse:${file}`, { after: ["list"] }, () => parse(file));
   * })
   * ```
   */
  add(name: string, fn: TaskFunction<Record<string, unknown>, unknown>): void;
  add(name: string, options: TaskOptions, fn: TaskFunction<Record<string, unknown>, unknown>): void;
}
