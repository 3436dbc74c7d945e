import type { RunGraph } from "../plan/RunGraph.js";
import { PENDING, type TaskTable } from "../results/TaskTable.js";

/**
 * Skips every pending descendant of task `root` (which failed under `"skip-dependents"`), each
 * with `root` as the cause, through `skip`. Iterative: deep graphs cannot overflow the stack.
 */
export function skipDescendants(
  graph: RunGraph,
  table: TaskTable,
  root: number,
  skip: (i: number, because: string) => void,
): void {
  const because = graph.defs[root]!.name;
  const stack = [...graph.dependents[root]!];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (table.code[d] !== PENDING) continue;
    skip(d, because);
    for (const e of graph.dependents[d]!) stack.push(e);
  }
}
