import type { TaskFunction } from "./TaskFunction.js";
import type { TaskOptions } from "./TaskOptions.js";

/** Names of the tasks a result map `R` knows. */
export type Known<R> = keyof R & string;

/** The results a task with dependencies `D` receives from a workflow whose results are `R`. */
export type DependencyResults<R, D extends readonly string[]> = {
  readonly [K in D[number]]: K extends keyof R ? R[K] : unknown;
};

/** An empty record: the results of a task with no dependencies. */
export type NoResults = Record<never, never>;

/**
 * What a task function receives. `Deps` maps each dependency's name to its result type, as
 * declared by the workflow builder; `R` is the result map of the tasks the builder knew when it
 * defined the task (the tasks before it, and the task itself with its result `unknown`): what
 * `ctx.add()` may name in `after`, and how it types an added task's `ctx.results`.
 *
 * @example
 * ```ts
 * .task("load", { after: ["transform"] }, async ({ results, signal, attempt }) =>
 *   db.insert(results.transform, { signal }))
 * ```
 */
export interface TaskContext<Deps = Record<string, unknown>, R = Record<string, unknown>> {
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
   * Adds a task to this run, while this attempt runs: once the attempt has ended (it completed,
   * failed, timed out or was retried) or the run has ended, it throws a `WorkflowError`.
   *
   * The added task may depend only on tasks that already exist in the run, so it cannot close a
   * cycle (naming itself in `after` is a `CycleError`); a duplicate or unknown name is a
   * `WorkflowError`. Added tasks are in the result and snapshots with `addedBy` set.
   *
   * Typed like `.task()`: `after` given as literal names must name tasks the builder knew when it
   * defined this task (a misspelt name is a type error), and the added task's `ctx.results` are
   * typed from their results. Names only known at run time (other added tasks) go in an array of
   * `string`, and their results are `unknown`.
   *
   * @example
   * ```ts
   * .task("list", () => ls())
   * .task("fan", { after: ["list"] }, (ctx) => {
   *   for (const file of ctx.results.list) ctx.add(`parse:${file}`, { after: ["list"] }, ({ results }) => parse(file, results.list));
   * })
   * ```
   */
  add(name: string, fn: TaskFunction<NoResults, unknown, R>): void;
  add<const D extends readonly Known<R>[] = readonly []>(
    name: string,
    options: TaskOptions<D>,
    fn: TaskFunction<DependencyResults<R, D>, unknown, R>,
  ): void;
  add<const D extends readonly string[]>(
    name: string,
    options: TaskOptions<string extends D[number] ? D : never>,
    fn: TaskFunction<Readonly<Record<string, unknown>>, unknown, R>,
  ): void;
}
