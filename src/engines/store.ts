import type { Store } from "../store/Store.js";
import type { StoreBackend } from "../store/StoreBackend.js";
import { DurableStore } from "../store/DurableStore.js";
import type { FilledStoreOptions } from "../store/StoreOptions.js";

/**
 * The store engine: the durable store over a backend, and the in-process backend. Reached only
 * through `engine("store")` (src/load/engines.ts): the built package loads it on the first
 * `memoryStore()` or `sqliteStore()` (scripts/build.mjs builds it as dist/engines/store.cjs).
 */
export { MemoryBackend } from "../store/memory/MemoryBackend.js";
/** A run claimed in a store (`sqliteSink()` checks that a run's store is a file). */
export { ClaimedRun } from "../store/ClaimedRun.js";

/** A store over `backend` (`memoryStore()`, `sqliteStore()`). */
export function openStore(backend: StoreBackend, options: FilledStoreOptions): Store {
  return new DurableStore(backend, options);
}
