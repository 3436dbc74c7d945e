import { CycleError } from "../../errors/CycleError.js";
import { WorkflowError } from "../../errors/WorkflowError.js";
import type { EventBus } from "../../events/EventBus.js";
import { pendingTask } from "../../state/TaskState.js";
import type { RunGraph } from "../run/RunGraph.js";
import { addedTaskStart } from "./skipDescendants.js";
import type { TaskScheduler } from "../scheduling/TaskScheduler.js";
import { taskDefinition, type TaskDefinition } from "../definition/TaskDefinition.js";
import { PENDING, type TaskTable } from "../results/TaskTable.js";
import type { WorkflowEvents } from "../run/WorkflowEvents.js";

/** The parts of a running workflow that `ctx.add()` extends. */
export interface AddTarget {
  readonly graph: RunGraph;
  readonly table: TaskTable;
  readonly loop: TaskScheduler;
  readonly bus: EventBus<WorkflowEvents>;
  /** Dependencies not yet done, per task. */
  readonly remaining: number[];
  /** Skips task `i` because of task `because` (and reports it). */
  skip(i: number, because: string): void;
  /** Ends the run if every task is done. */
  checkDone(): void;
}

/**
 * Adds a task to a running workflow on behalf of task `adder` (`ctx.add()`): validates it
 * ({@link addedTaskDefinition}), appends it, raises the remaining path of its pending ancestors
 * (so the critical path still goes first), reports `task:added`, and leaves it waiting for its
 * dependencies, ready, or skipped at once when one of them already failed.
 */
export function addTask(target: AddTarget, adder: string, def: TaskDefinition, deps: readonly number[]): void {
  const { graph, table, loop, bus } = target;
  const i = graph.append(def, deps);
  table.append(pendingTask(def.name, adder));
  target.remaining.push(0);
  graph.raiseRanks(
    deps,
    graph.rank[i]! + 1,
    (j) => table.code[j] === PENDING,
    (j) => loop.raised(j),
  );
  if (bus.has("task:added"))
    bus.emit("task:added", { workflow: graph.workflow, task: def.name, addedBy: adder, after: def.after });
  const { remaining, skippedBecause } = addedTaskStart(graph, table, deps);
  target.remaining[i] = remaining;
  if (skippedBecause !== undefined) {
    target.skip(i, skippedBecause);
    target.checkDone();
  } else if (remaining === 0) {
    loop.makeReady(i);
    loop.pump();
  }
}

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
