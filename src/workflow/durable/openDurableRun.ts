import type { TaskResultRecord } from "../../store/TaskRecords.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import type { DurableRunOptions } from "../run/WorkflowRunOptions.js";
import type { StoredRun } from "./storedPlan.js";
import { TaskJournal } from "./TaskJournal.js";
import { workflowPlanShape } from "./workflowPlanShape.js";

/** A durable run's store side, opened: its journal and, when resumed, what the store held. */
export interface OpenedDurableRun {
  readonly journal: TaskJournal;
  readonly stored: StoredRun | undefined;
}

/**
 * Registers a new durable workflow run, or claims a stored one to resume it (the store refuses a
 * changed definition with `WEIR_PLAN_CHANGED`, naming the tasks, unless `force`; a live owner
 * with `WEIR_RUN_OWNED`). With `force`, the stored results of the changed tasks are dropped, so
 * those tasks run again.
 */
export async function openDurableRun(
  graph: TaskGraph,
  options: DurableRunOptions,
  force: boolean,
): Promise<OpenedDurableRun> {
  const { store, runId } = options;
  const plan = workflowPlanShape(graph);
  if (!options.resume) {
    const handle = await store.createRun({
      ...(runId === undefined ? {} : { id: runId }),
      kind: "workflow",
      name: graph.workflow,
      plan,
      total: graph.size,
      ...(options.inputs === undefined ? {} : { inputs: options.inputs }),
    });
    return { journal: new TaskJournal(handle, new Map()), stored: undefined };
  }
  const before = force ? await store.getRun(runId!) : undefined;
  const handle = await store.resumeRun(runId!, { kind: "workflow", plan, force });
  let results: ReadonlyMap<string, TaskResultRecord>;
  let added;
  try {
    results = await handle.taskResults();
    added = await handle.addedTasks();
  } catch (error) {
    await handle.finish("running").catch(() => {});
    throw error;
  }
  if (before !== undefined) {
    const was = new Map(before.plan.map((p) => [p.name, p.fingerprint]));
    const kept = new Map(results);
    for (const def of graph.defs) {
      const fingerprint = was.get(def.name);
      if (fingerprint !== undefined && fingerprint !== def.fingerprint) kept.delete(def.name);
    }
    results = kept;
  }
  return { journal: new TaskJournal(handle, results), stored: { results, added } };
}
