/**
 * weir/sqlite: the durable store in one SQLite file (better-sqlite3). A subpath of its own so that
 * `weir` itself never loads the native module; import it where a run should survive its process.
 *
 * @example
 * ```ts
 * import { sqliteStore } from "weir/sqlite";
 * const store = sqliteStore({ durability: "fsync" });
 * ```
 * @packageDocumentation
 */
export {
  sqliteStore,
  sqliteStoreDefaults,
  type SqliteStore,
  type SqliteStoreOptions,
} from "./store/sqlite/sqliteStore.js";
export type { SqliteSettings } from "./store/sqlite/SqliteSettings.js";
export { schemaVersion } from "./store/sqlite/schema.js";
export { sqliteSink, type SqliteSinkOptions, type SqliteValue } from "./store/sqlite/sqliteSink.js";
