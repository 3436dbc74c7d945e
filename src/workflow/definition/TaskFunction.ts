import type { TaskContext } from "./TaskContext.js";

/**
 * A workflow task: sync or async; its return value is its result. `Deps` types `ctx.results`;
 * `R` is the result map `ctx.add()` types added tasks against.
 */
export type TaskFunction<Deps, T, R = Record<string, unknown>> = (ctx: TaskContext<Deps, R>) => T | PromiseLike<T>;
