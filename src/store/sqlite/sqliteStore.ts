import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { engine } from "../../load/engines.js";
import { nonEmptyString, oneOf, positiveInt } from "../../options/validate.js";
import type { Store } from "../Store.js";
import { fillStoreOptions, type StoreOptions } from "../StoreOptions.js";
import { openDatabase, storePath } from "./openDatabase.js";
import { SqliteBackend } from "./SqliteBackend.js";
import type { SqliteSettings } from "./SqliteSettings.js";
import { WalCheckpointer } from "./WalCheckpointer.js";

/**
 * Options of {@link sqliteStore}.
 *
 * @example
 * ```ts
 * sqliteStore({ path: "/var/lib/app/weir.db", durability: "fsync", maxBytes: 2 ** 30 });
 * ```
 */
export interface SqliteStoreOptions extends StoreOptions {
  /** The file. `":memory:"` for a private in-memory database. @default $WEIR_DB, else `.weir/weir.db` under the working directory */
  readonly path?: string;
  /**
   * `"normal"`: WAL with `synchronous=NORMAL`: a commit survives the process being killed (kill -9,
   * a crash), not a power loss or kernel panic. `"fsync"`: `synchronous=FULL`, every commit is
   * fsynced: survives power loss, at the cost of one fsync per group commit.
   * @default "normal"
   */
  readonly durability?: "normal" | "fsync";
  /** How long a write waits for another connection's lock before failing with `WEIR_STORE_BUSY`. @default 5000 */
  readonly busyTimeoutMs?: number;
  /** Caps the database file: a commit that would grow it past this fails with `WEIR_STORE_FULL`. @default no cap */
  readonly maxBytes?: number;
  /**
   * Who copies the WAL back into the file: `"thread"`, a connection on a thread of its own (the
   * event loop never waits for it); `"inline"`, SQLite's automatic checkpoint in the writer's commit
   * (about one commit in a hundred pauses the loop for several ms).
   * @default "thread"
   */
  readonly walCheckpoint?: "thread" | "inline";
}

/** The store {@link sqliteStore} returns: a {@link Store} that can also report its connection's settings. */
export interface SqliteStore extends Store {
  /** The effective settings, as SQLite reports them now (journal mode, synchronous, busy timeout…). */
  settings(): SqliteSettings;
}

/** Defaults of the SQLite-only options. */
export const sqliteStoreDefaults = Object.freeze({
  durability: "normal" as const,
  busyTimeoutMs: 5000,
  walCheckpoint: "thread" as const,
  /** Bytes committed between two WAL checkpoint requests (SQLite's own auto-checkpoint is ~4 MB). */
  walCheckpointEveryBytes: 4 * 1024 * 1024,
});

const sqliteKeys = ["path", "durability", "busyTimeoutMs", "maxBytes", "walCheckpoint"] as const;

/**
 * A store in one SQLite file (better-sqlite3), opened, checked and migrated now: durable runs,
 * dead letters, the cache tier and the run registry survive the process. Loaded only through
 * `weir/sqlite`, so the core never loads the native module.
 *
 * Throws a `StoreError` when the file cannot be used: `WEIR_STORE_CORRUPT` (not SQLite, truncated,
 * another application's), `WEIR_STORE_SCHEMA_NEWER`, `WEIR_STORE_READ_ONLY`, `WEIR_STORE_IO`. It
 * never rewrites a file it refuses.
 *
 * @example
 * ```ts
 * import { sqliteStore } from "weir/sqlite";
 * await using store = sqliteStore();
 * const page = await store.deadLetters.list({ runName: "orders", stage: "enrich" });
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  const where = "sqliteStore";
  const common = fillStoreOptions(options, where, sqliteKeys);
  const path = storePath(options.path === undefined ? undefined : nonEmptyString(options.path, "path", where));
  const durability =
    options.durability === undefined
      ? sqliteStoreDefaults.durability
      : oneOf(options.durability, ["normal", "fsync"], "durability", where);
  const busyTimeoutMs =
    options.busyTimeoutMs === undefined
      ? sqliteStoreDefaults.busyTimeoutMs
      : positiveInt(options.busyTimeoutMs, "busyTimeoutMs", where);
  if (options.maxBytes !== undefined && !(Number.isSafeInteger(options.maxBytes) && options.maxBytes >= 4096)) {
    throw new InvalidOptionError("maxBytes", "an integer of at least 4096 (bytes)", options.maxBytes, where);
  }
  const walCheckpoint =
    options.walCheckpoint === undefined
      ? sqliteStoreDefaults.walCheckpoint
      : oneOf(options.walCheckpoint, ["thread", "inline"], "walCheckpoint", where);
  const threaded = walCheckpoint === "thread" && path !== ":memory:";
  const db = openDatabase({
    path,
    durability,
    busyTimeoutMs,
    maxBytes: options.maxBytes,
    manualWalCheckpoints: threaded,
  });
  const checkpointer = threaded
    ? new WalCheckpointer(path, busyTimeoutMs, sqliteStoreDefaults.walCheckpointEveryBytes)
    : undefined;
  const backend = new SqliteBackend(db, path, checkpointer);
  return Object.assign(engine("store").openStore(backend, common), { settings: () => backend.settings() });
}
