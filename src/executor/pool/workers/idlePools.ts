/**
 * The process-wide pool registry, once the pool code has loaded (a pool stage's first run loads
 * it: `import { pipeline } from "weir"` does not). Kept apart from `PoolRegistry.ts` so that
 * {@link closeIdlePools} costs nothing to import.
 */
let registry: { closeIdle(): Promise<void> } | undefined;

/** Called once by `PoolRegistry.ts` when it loads. */
export function setPoolRegistry(pools: { closeIdle(): Promise<void> }): void {
  registry = pools;
}

/**
 * Closes every worker-thread and child-process pool that no run is using: the ones kept warm by
 * the `keepWarmMs` pool option. Resolves once their workers exited. Pools of running stages are
 * left alone; they close when their runs end.
 *
 * @example
 * ```ts
 * process.once("SIGTERM", async () => {
 *   await server.close();
 *   await closeIdlePools();
 * });
 * ```
 */
export function closeIdlePools(): Promise<void> {
  return registry?.closeIdle() ?? Promise.resolve();
}
