import type { PoolSettings } from "../stage/PoolOptions.js";

/** Workers a stage may use at a stage `concurrency`: at least one, at most `maxWorkers`. */
export function workersFor(settings: PoolSettings, concurrency: number): number {
  return Math.max(1, Math.min(concurrency, settings.maxWorkers));
}

/**
 * The smallest batch size: a worker's `batchesPerWorker` batches hold at least as many items as
 * it may run at once (`concurrencyPerWorker`), capped at `maxBatchSize`.
 */
export function minBatchSize(settings: PoolSettings): number {
  return Math.min(settings.maxBatchSize, Math.ceil(settings.concurrencyPerWorker / settings.batchesPerWorker));
}

/** The most items a pool stage keeps in flight at a stage `concurrency` (batches at their largest). */
export function maxPoolWindow(settings: PoolSettings, concurrency: number): number {
  return workersFor(settings, concurrency) * settings.batchesPerWorker * settings.maxBatchSize;
}
