import { nextTaskState, pendingTask } from "../../state/TaskState.js";
import type { ReusePlan } from "./reusePlan.js";
import { RunGraph } from "../plan/RunGraph.js";
import { taskDefinition } from "../definition/TaskDefinition.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import { COMPLETED, TaskTable } from "../results/TaskTable.js";

/** A run's starting point: its graph, its task table, and each task's count of unfinished dependencies. */
export interface RunSeed {
  readonly graph: RunGraph;
  readonly table: TaskTable;
  /** Dependencies not yet done, per task (the run counts them down). */
  readonly remaining: number[];
}

/** Placeholder function of a task carried over from an earlier run: it never runs. */
const carriedFn = (): never => {
  throw new Error("internal: a carried-over task ran");
};

/**
 * The starting point of a run of `graph`: every task pending, except what `plan` spares (an
 * earlier run's snapshot given as `reuse`: `reusePlan`; a resumed durable run's store:
 * `storedPlan`): those start completed with their earlier results (`reused: true`), and completed
 * dynamic tasks of a spared task are carried over as they were. O(tasks + edges).
 */
export function seedRun(taskGraph: TaskGraph, plan: ReusePlan | undefined): RunSeed {
  const graph = new RunGraph(taskGraph);
  const table = new TaskTable(
    taskGraph.defs.map((def, i) => {
      const before = plan?.reused[i];
      const pending = pendingTask(def.name);
      return before === undefined
        ? pending
        : nextTaskState(pending, "completed", 0, before.result, undefined, undefined, undefined, undefined, true);
    }),
  );
  for (const before of plan?.carried ?? []) {
    if (graph.index.has(before.name)) continue;
    graph.append(taskDefinition(graph.workflow, before.name, {}, carriedFn), []);
    table.append(
      nextTaskState(
        pendingTask(before.name, before.addedBy),
        "completed",
        0,
        before.result,
        undefined,
        undefined,
        undefined,
        undefined,
        true,
      ),
    );
  }
  const remaining = graph.deps.map((d) => d.length);
  for (let i = 0; i < table.size; i++) {
    if (table.code[i] !== COMPLETED) continue;
    for (const d of graph.dependents[i]!) remaining[d]!--;
  }
  return { graph, table, remaining };
}
