import { systemClock, type TimerHandle } from "../../../time/Clock.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { settingsKey } from "../stage/PoolOptions.js";
import { WorkerPool } from "./WorkerPool.js";
import { closeIdlePools, setPoolRegistry } from "./idlePools.js";

interface Held {
  readonly pool: WorkerPool;
  refs: number;
  /** Set while the pool is kept warm with no holder: closes it when it fires. */
  warm: TimerHandle | undefined;
}

/**
 * The pools alive in this process, keyed by context, module URL and options: stages that name
 * the same module with equal options share one pool. Reference counted: a pool closes when its
 * last executor releases it, or, with `keepWarmMs`, that long after, unless a run takes it again
 * first. The wait is an unref'd timer and idle workers are unref'd: a warm pool never keeps the
 * process alive.
 */
export class PoolRegistry {
  readonly #pools = new Map<string, Held>();

  /** The shared pool for these settings, made on first use; call {@link release} once per acquire. */
  acquire(context: "worker" | "process", moduleUrl: string, settings: PoolSettings): WorkerPool {
    const key = `${context}\n${moduleUrl}\n${settingsKey(settings)}`;
    let held = this.#pools.get(key);
    if (held === undefined) {
      held = { pool: new WorkerPool(context, moduleUrl, settings), refs: 0, warm: undefined };
      this.#pools.set(key, held);
    }
    held.warm?.cancel();
    held.warm = undefined;
    held.refs++;
    return held.pool;
  }

  /**
   * Drops one reference. On the last, closes the pool (resolving once its workers exited), or
   * with `keepWarmMs` keeps it for that long and resolves at once.
   */
  async release(pool: WorkerPool): Promise<void> {
    for (const [key, held] of this.#pools) {
      if (held.pool !== pool) continue;
      if (--held.refs > 0) return;
      const ms = pool.settings.keepWarmMs;
      if (ms > 0) {
        held.warm = systemClock.setTimer(() => void this.#close(key, held), ms);
        return;
      }
      await this.#close(key, held);
      return;
    }
  }

  /** Closes every pool no run holds (the warm ones); resolves once their workers exited. */
  async closeIdle(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, held] of [...this.#pools]) if (held.refs === 0) closing.push(this.#close(key, held));
    await Promise.all(closing);
  }

  async #close(key: string, held: Held): Promise<void> {
    held.warm?.cancel();
    held.warm = undefined;
    if (this.#pools.get(key) !== held || held.refs > 0) return;
    this.#pools.delete(key);
    await held.pool.close();
  }

  /** Pools alive now, warm ones included (for tests and diagnostics). */
  get size(): number {
    return this.#pools.size;
  }
}

/** The process-wide registry every executor uses. */
export const pools = new PoolRegistry();
setPoolRegistry(pools);

export { closeIdlePools };
