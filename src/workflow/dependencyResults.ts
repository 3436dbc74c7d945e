import type { RunGraph } from "./RunGraph.js";
import { FAILED, type TaskTable } from "./TaskTable.js";

/** What task `i` receives as `ctx.results`: each dependency's result by name (`undefined` for one that failed under "continue"). */
export function dependencyResults(graph: RunGraph, table: TaskTable, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const j of graph.deps[i]!) out[graph.defs[j]!.name] = table.values[j];
  return out;
}

/** What task `i` receives as `ctx.errors`: the errors of its dependencies that failed (under "continue"), by name. */
export function dependencyErrors(graph: RunGraph, table: TaskTable, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const j of graph.deps[i]!) if (table.code[j] === FAILED) out[graph.defs[j]!.name] = table.errors[j];
  return out;
}
