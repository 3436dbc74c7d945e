import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { PlanChangedError } from "../../errors/PlanChangedError.js";
import type { TaskState } from "../../state/TaskState.js";
import type { WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import { fingerprintIn } from "./snapshotFingerprints.js";

/** What a run takes over from an earlier one. */
export interface ReusePlan {
  /** Per task of the graph: its earlier completed state when it is reused, else undefined. */
  readonly reused: readonly (TaskState | undefined)[];
  /** Completed dynamic tasks of the earlier run whose adder is reused: carried over as they were. */
  readonly carried: readonly TaskState[];
}

/**
 * Decides which tasks of `graph` an earlier run spares: a task runs again when it did not
 * complete there, when a dynamic task it added (directly or through other dynamic tasks) did not
 * complete, or when any of its ancestors runs again. O(tasks + edges). Throws an
 * `InvalidOptionError` when `earlier` comes from a workflow of another name, and a
 * `PlanChangedError` naming them when tasks that completed there changed since (their code,
 * dependencies, context or failure policy: the task definition's `fingerprint`); with `force`,
 * those tasks run again instead, with their descendants.
 */
export function reusePlan(graph: TaskGraph, earlier: WorkflowSnapshot, force = false): ReusePlan {
  if (earlier.workflow !== graph.workflow) {
    // tasks are matched by name, so another workflow's results would be taken for this one's
    throw new InvalidOptionError(
      "reuse",
      "a result or snapshot of this workflow, not of the workflow named",
      earlier.workflow,
      `workflow "${graph.workflow}"`,
    );
  }
  const n = graph.size;
  const dirty = new Uint8Array(n);
  const byName = new Map<string, TaskState>();
  for (const t of earlier.tasks()) byName.set(t.name, t);
  const rootAdder = (t: TaskState): string | undefined => {
    let cur: TaskState | undefined = t;
    for (let hops = 0; cur?.addedBy !== undefined && hops <= byName.size; hops++) {
      if (graph.index.has(cur.addedBy)) return cur.addedBy;
      cur = byName.get(cur.addedBy);
    }
    return undefined;
  };
  const dynamic: TaskState[] = [];
  for (const t of byName.values()) {
    if (t.addedBy === undefined || graph.index.has(t.name)) continue;
    dynamic.push(t);
    if (t.status !== "completed") {
      const root = rootAdder(t);
      if (root !== undefined) dirty[graph.index.get(root)!] = 1;
    }
  }
  const changed: string[] = [];
  for (let i = 0; i < n; i++) {
    const def = graph.defs[i]!;
    if (byName.get(def.name)?.status !== "completed") continue;
    const was = fingerprintIn(earlier, def.name);
    if (was === undefined || was === def.fingerprint) continue;
    changed.push(`"${def.name}" changed`);
    dirty[i] = 1;
  }
  if (changed.length > 0 && !force) {
    throw new PlanChangedError(`earlier run of "${graph.workflow}"`, "workflow", changed, "reuse");
  }
  const reused: (TaskState | undefined)[] = new Array<TaskState | undefined>(n);
  for (let i = 0; i < n; i++) {
    const before = byName.get(graph.defs[i]!.name);
    if (before?.status !== "completed") dirty[i] = 1;
    else for (const j of graph.deps[i]!) if (dirty[j] === 1) dirty[i] = 1;
    reused[i] = dirty[i] === 1 ? undefined : before;
  }
  const carried = dynamic.filter((t) => {
    const root = rootAdder(t);
    return t.status === "completed" && root !== undefined && dirty[graph.index.get(root)!] === 0;
  });
  return { reused, carried };
}
