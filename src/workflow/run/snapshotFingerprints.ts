import type { WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";

/** Per snapshot a run made: the fingerprint of a task by name (the run's graph, read when asked). */
const registry = new WeakMap<WorkflowSnapshot, (task: string) => string | undefined>();

/** Remembers how to find the fingerprints of the tasks of `snapshot` (called by the run that made it). */
export function rememberFingerprints(snapshot: WorkflowSnapshot, lookup: (task: string) => string | undefined): void {
  if (!registry.has(snapshot)) registry.set(snapshot, lookup);
}

/**
 * The fingerprint task `task` had in the run that made `snapshot`; undefined when the snapshot
 * was not made by a run of this process, or the task is unknown there.
 */
export function fingerprintIn(snapshot: WorkflowSnapshot, task: string): string | undefined {
  return registry.get(snapshot)?.(task);
}
