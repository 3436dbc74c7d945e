import type { RunGraph } from "../run/RunGraph.js";
import { CANCELLED, FAILED, PENDING, RUNNING, SKIPPED, type TaskTable } from "../results/TaskTable.js";

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

/** Where a task added with `ctx.add()` stands given its dependencies' statuses now. */
export interface AddedTaskStart {
  /** Dependencies not done yet. */
  readonly remaining: number;
  /** Set when a dependency already failed (not under "continue"), or was skipped or cancelled: the task is skipped at once, naming it. */
  readonly skippedBecause: string | undefined;
}

/** How a task added now, depending on `deps`, starts: waiting, ready, or skipped at once. */
export function addedTaskStart(graph: RunGraph, table: TaskTable, deps: readonly number[]): AddedTaskStart {
  let remaining = 0;
  let because: string | undefined;
  for (const j of deps) {
    const code = table.code[j]!;
    if (code === PENDING || code === RUNNING) remaining++;
    else if (code === FAILED && graph.defs[j]!.onFailure !== "continue") because ??= graph.defs[j]!.name;
    else if (code === SKIPPED || code === CANCELLED) because ??= table.state(j).skippedBecause ?? graph.defs[j]!.name;
  }
  return { remaining, skippedBecause: because };
}
