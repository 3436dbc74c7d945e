import { CycleError } from "../../errors/CycleError.js";
import { WorkflowError } from "../../errors/WorkflowError.js";
import { taskDefinition, type TaskDefinition } from "../definition/TaskDefinition.js";
import { CANCELLED, FAILED, PENDING, RUNNING, SKIPPED, type TaskTable } from "../results/TaskTable.js";
import type { RunGraph } from "../plan/RunGraph.js";

/**
 * Validates a task that task `adder` adds with `ctx.add()`: its options, a name no task of the
 * run has, dependencies that exist already (so no cycle can close; naming itself is a
 * `CycleError`), and the run's `maxAddedTasks` bound (`added` so far). Throws a `WorkflowError`
 * (or `InvalidOptionError`, `CycleError`) to the adding task; returns the definition and the
 * dependencies' indices.
 */
export function addedTaskDefinition(
  graph: RunGraph,
  adder: string,
  added: number,
  maxAdded: number,
  name: unknown,
  options: unknown,
  fn: unknown,
): { readonly def: TaskDefinition; readonly deps: number[] } {
  const workflow = graph.workflow;
  const def = taskDefinition(workflow, name, options, fn);
  if (graph.index.has(def.name)) {
    throw new WorkflowError(
      workflow,
      def.name,
      `added by "${adder}": a task with this name exists`,
      "WEIR_DUPLICATE_NAME",
    );
  }
  if (def.after.includes(def.name)) throw new CycleError([def.name, def.name], "dependency");
  const deps = def.after.map((d) => {
    const j = graph.index.get(d);
    if (j === undefined)
      throw new WorkflowError(workflow, def.name, `added by "${adder}": depends on unknown task "${d}"`);
    return j;
  });
  if (added >= maxAdded) {
    throw new WorkflowError(
      workflow,
      def.name,
      `added by "${adder}": the run already added maxAddedTasks (${maxAdded}) tasks`,
    );
  }
  return { def, deps };
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
