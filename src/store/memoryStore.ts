import { engine } from "../load/engines.js";
import type { Store } from "./Store.js";
import { fillStoreOptions, type StoreOptions } from "./StoreOptions.js";

/**
 * A store that lives in this process only: the same API and behaviour as the SQLite store (one
 * conformance suite), for tests and for runs that want dead letters and run records without a
 * file. Values are still msgpack-encoded, so what it accepts and returns is what a file would.
 *
 * @example
 * ```ts
 * const store = memoryStore();
 * const run = await store.createRun({ kind: "pipeline", name: "orders", plan: [] });
 * ```
 */
export function memoryStore(options: StoreOptions = {}): Store {
  const { openStore, MemoryBackend } = engine("store");
  return openStore(new MemoryBackend(), fillStoreOptions(options, "memoryStore"));
}
