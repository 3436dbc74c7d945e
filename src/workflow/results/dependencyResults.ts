import type { RunGraph } from "../plan/RunGraph.js";
import { FAILED, type TaskTable } from "./TaskTable.js";

/**
 * What task `i` receives as `ctx.results`: each dependency's result by name (`undefined` for one
 * that failed under "continue"). A null-prototype object, so any task name is a plain key: a
 * dependency named `__proto__`, `constructor` or `toString` is its result, not `Object.prototype`'s.
 */
export function dependencyResults(graph: RunGraph, table: TaskTable, i: number): Record<string, unknown> {
  const out = byName<unknown>();
  for (const j of graph.deps[i]!) out[graph.defs[j]!.name] = table.values[j];
  return out;
}

/** What task `i` receives as `ctx.errors`: the errors of its dependencies that failed (under "continue"), by name (null prototype). */
export function dependencyErrors(graph: RunGraph, table: TaskTable, i: number): Record<string, unknown> {
  const out = byName<unknown>();
  for (const j of graph.deps[i]!) if (table.code[j] === FAILED) out[graph.defs[j]!.name] = table.errors[j];
  return out;
}

/** An empty object without a prototype: every key, `__proto__` included, is an own data property. */
export function byName<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
