import type { RunHandle } from "../../store/RunHandle.js";

/** The run handles of the durable pipeline runs in progress in this process, by run id. */
const runs = new Map<string, RunHandle>();

/** Registers a durable run while it runs (for sinks that write with its commits: `sqliteSink`). */
export function registerRun(handle: RunHandle): void {
  runs.set(handle.id, handle);
}

/** Forgets a run that ended. */
export function unregisterRun(handle: RunHandle): void {
  if (runs.get(handle.id) === handle) runs.delete(handle.id);
}

/** The handle of the durable run in progress with this id in this process, if any. */
export function activeRun(id: string): RunHandle | undefined {
  return runs.get(id);
}
