import type { TaskGraph } from "./TaskGraph.js";
import type { PlannedTask, WorkflowPlan } from "./WorkflowPlan.js";

/** The plan of a compiled graph. O(tasks + edges). */
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
  for (let i = 0; i < n; i++) if (graph.deps[i]!.length === 0 && (cur < 0 || graph.rank[i]! > graph.rank[cur]!)) cur = i;
  while (cur >= 0) {
    criticalPath.push(graph.defs[cur]!.name);
    const want: number = graph.rank[cur]! - 1;
    cur = graph.dependents[cur]!.find((d) => graph.rank[d] === want) ?? -1;
  }
  return {
    workflow: graph.workflow,
    tasks,
    taskCount: n,
    edgeCount,
    levels,
    criticalPath,
    maxParallelism: levels.reduce((m, l) => Math.max(m, l.length), 0),
  };
}
