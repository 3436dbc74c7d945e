import { graphWidth } from "./graphWidth.js";
import type { TaskGraph } from "./TaskGraph.js";
import type { PlannedTask, WorkflowPlan } from "./WorkflowPlan.js";

/**
 * The plan of a compiled graph. O(tasks + edges), plus the exact width for graphs of up to
 * `exactWidthLimit` tasks (see {@link graphWidth}).
 */
export function planWorkflow(graph: TaskGraph): WorkflowPlan {
  const n = graph.size;
  const levels: string[][] = [];
  const tasks: PlannedTask[] = new Array<PlannedTask>(n);
  let edgeCount = 0;
  for (let i = 0; i < n; i++) {
    const def = graph.defs[i]!;
    const level = graph.level[i]!;
    (levels[level] ??= []).push(def.name);
    edgeCount += def.after.length;
    tasks[i] = {
      name: def.name,
      after: [...def.after],
      level,
      remainingPath: graph.rank[i]!,
      priority: def.priority,
      context: def.context,
      onFailure: def.onFailure,
    };
  }
  // The critical path: from the source with the longest remaining path, follow the dependent
  // whose remaining path is one shorter (first in definition order).
  const criticalPath: string[] = [];
  let cur = -1;
  for (let i = 0; i < n; i++)
    if (graph.deps[i]!.length === 0 && (cur < 0 || graph.rank[i]! > graph.rank[cur]!)) cur = i;
  while (cur >= 0) {
    criticalPath.push(graph.defs[cur]!.name);
    const want: number = graph.rank[cur]! - 1;
    cur = graph.dependents[cur]!.find((d) => graph.rank[d] === want) ?? -1;
  }
  const widestLevel = levels.reduce((m, l) => Math.max(m, l.length), 0);
  const exact = graphWidth(graph.dependents);
  return {
    workflow: graph.workflow,
    tasks,
    taskCount: n,
    edgeCount,
    levels,
    criticalPath,
    widestLevel,
    maxParallelism: exact ?? Math.max(widestLevel, widestRankGroup(graph)),
    maxParallelismExact: exact !== undefined,
  };
}

/**
 * The most tasks sharing one remaining-path length: another antichain (a task's remaining path
 * is longer than any descendant's), often wider than the widest level (every sink has length 1).
 */
function widestRankGroup(graph: TaskGraph): number {
  const counts = new Map<number, number>();
  let most = 0;
  for (const r of graph.rank) {
    const c = (counts.get(r) ?? 0) + 1;
    counts.set(r, c);
    if (c > most) most = c;
  }
  return most;
}
