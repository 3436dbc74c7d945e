import type { WorkflowSnapshot } from "./WorkflowSnapshot.js";

/**
 * Memoizes a projection per snapshot: snapshots are immutable, so a projection of the same
 * snapshot is computed once (held weakly, so old snapshots and their projections can be
 * collected).
 *
 * @example
 * ```ts
 * const slowest = projection((s: WorkflowSnapshot) =>
 *   [...s.tasks()].filter((t) => t.durationMs !== undefined).sort((a, b) => b.durationMs! - a.durationMs!)[0]);
 * slowest(run.snapshot());
 * ```
 */
export function projection<R>(select: (snapshot: WorkflowSnapshot) => R): (snapshot: WorkflowSnapshot) => R {
  const cache = new WeakMap<WorkflowSnapshot, { value: R }>();
  return (snapshot) => {
    const hit = cache.get(snapshot);
    if (hit !== undefined) return hit.value;
    const value = select(snapshot);
    cache.set(snapshot, { value });
    return value;
  };
}
