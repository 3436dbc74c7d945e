import type { Run } from "../../run/Run.js";

/** How a tracked item ended. */
export type ItemEnd = "done" | "failed";

/**
 * Follows the items a source delivered to one run, by source index, and reports when they end:
 * an item below the run's low watermark is out of the pipeline, either done (sunk, filtered) or
 * failed (dead-lettered or skipped, seen in the run's events). Every `intervalMs` and when the run
 * settles, the items that ended since are handed to `settle` in source order, one call per batch.
 * Items still in the pipeline when the run ends (it failed or was cancelled) are left alone: their
 * source gives them to another reader later.
 */
export class DeliveryTracker<H> {
  /** Handles of delivered items, from index `#base` on. */
  #handles: H[] = [];
  #base = 0;
  #next = 0;
  readonly #failed = new Map<number, unknown>();
  readonly #settle: (ended: Array<[H, ItemEnd, unknown]>) => Promise<void>;
  #run: Run | undefined;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> = Promise.resolve();

  constructor(settle: (ended: Array<[H, ItemEnd, unknown]>) => Promise<void>) {
    this.#settle = settle;
  }

  /** True once a run is attached. */
  get attached(): boolean {
    return this.#run !== undefined;
  }

  /** Records the next delivered item's handle (its source index is the count before it). */
  delivered(handle: H): void {
    this.#handles.push(handle);
    this.#next++;
  }

  /**
   * Follows `run` (called from the source's attach hook, while the run is being built): from the
   * next microtask on, its watermark every `intervalMs` and its failures. Returns what the run
   * calls when its steps have ended: the last settle, awaited (then {@link finished} resolves).
   */
  attach(run: Run, intervalMs: number): () => Promise<void> {
    this.#run = run;
    let off: Array<() => void> = [];
    queueMicrotask(() => {
      off = [
        run.on("stage:dead-letter", (d) => void this.#failed.set(d.index, d.error)),
        run.on("stage:error", (e) => {
          if (e.action === "skip") this.#failed.set(e.index, e.error);
        }),
      ];
      this.#timer = setInterval(() => this.#flush(), intervalMs);
      this.#timer.unref();
    });
    return async () => {
      clearInterval(this.#timer);
      for (const f of off) f();
      this.#flush();
      await this.#draining;
    };
  }

  #flush(): void {
    const run = this.#run;
    if (run === undefined) return;
    const watermark = Math.min(lowWatermark(run), this.#next);
    if (watermark <= this.#base) return;
    const n = watermark - this.#base;
    const ended: Array<[H, ItemEnd, unknown]> = [];
    for (let i = 0; i < n; i++) {
      const index = this.#base + i;
      const failed = this.#failed.has(index);
      ended.push([this.#handles[i]!, failed ? "failed" : "done", failed ? this.#failed.get(index) : undefined]);
      if (failed) this.#failed.delete(index);
    }
    this.#handles = this.#handles.slice(n);
    this.#base = watermark;
    this.#draining = this.#draining.then(() => this.#settle(ended)).catch(() => undefined);
  }
}

/** The run's low watermark: every item below it has left the pipeline. */
function lowWatermark(run: Run): number {
  const direct = (run as Run & { lowWatermark?: () => number }).lowWatermark;
  return typeof direct === "function" ? direct.call(run) : run.snapshot().lowWatermark;
}
