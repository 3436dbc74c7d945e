import type { PoolSettings } from "./PoolOptions.js";
import { settingsKey } from "./PoolOptions.js";
import { WorkerPool } from "./WorkerPool.js";

interface Held {
  readonly pool: WorkerPool;
  refs: number;
}

/**
 * The pools alive in this process, keyed by context, module URL and options: stages that name
 * the same module with equal options share one pool. Reference counted; a pool closes when its
 * last executor releases it.
 */
export class PoolRegistry {
  readonly #pools = new Map<string, Held>();

  /** The shared pool for these settings, made on first use; call {@link release} once per acquire. */
  acquire(context: "worker" | "process", moduleUrl: string, settings: PoolSettings): WorkerPool {
    const key = `${context}\n${moduleUrl}\n${settingsKey(settings)}`;
    let held = this.#pools.get(key);
    if (held === undefined) {
      held = { pool: new WorkerPool(context, moduleUrl, settings), refs: 0 };
      this.#pools.set(key, held);
    }
    held.refs++;
    return held.pool;
  }

  /** Drops one reference; closes the pool (resolving once its workers exited) on the last. */
  async release(pool: WorkerPool): Promise<void> {
    for (const [key, held] of this.#pools) {
      if (held.pool !== pool) continue;
      if (--held.refs > 0) return;
      this.#pools.delete(key);
      await pool.close();
      return;
    }
  }

  /** Pools alive now (for tests and diagnostics). */
  get size(): number {
    return this.#pools.size;
  }
}

/** The process-wide registry every executor uses. */
export const pools = new PoolRegistry();
