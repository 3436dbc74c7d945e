import type { TaskContext } from "./TaskContext.js";

/** A workflow task: sync or async; its return value is its result. */
export type TaskFunction<Deps, T> = (ctx: TaskContext<Deps>) => T | PromiseLike<T>;
