import type { PoolWorker } from "./PoolWorker.js";

/**
 * Which worker gets a pool's next batch: the available one holding the fewest batches, below
 * `batchesPerWorker` (`depth`); undefined when none has room (the pool may then start one).
 */
export function pickWorker(workers: readonly PoolWorker[], depth: number): PoolWorker | undefined {
  let best: PoolWorker | undefined;
  for (const w of workers) {
    if (!available(w) || w.batches.size >= depth) continue;
    if (best === undefined || w.batches.size < best.batches.size) best = w;
  }
  return best;
}

/** An available worker holding nothing, for a batch sent alone (see Blame in docs/contexts.md). */
export function pickIdleWorker(workers: readonly PoolWorker[]): PoolWorker | undefined {
  for (const w of workers) if (available(w) && w.batches.size === 0) return w;
  return undefined;
}

/**
 * True when `w` may take a batch: not stopping or retiring, not suspected stuck (a cancelled item
 * that has not stopped yet, an item past its timeout in its synchronous call), and not holding a
 * batch sent alone (which has its worker to itself).
 */
function available(w: PoolWorker): boolean {
  if (w.stopped !== undefined || w.retiring || w.grace.size > 0 || w.hung !== undefined) return false;
  for (const [b] of w.batches.values()) if (b.isolated) return false;
  return true;
}
