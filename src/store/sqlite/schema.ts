import type Database from "better-sqlite3";
import { StoreError } from "../../errors/StoreError.js";

/** `PRAGMA application_id` of a weir store ("weir" in ASCII): tells it from other SQLite files. */
export const applicationId = 0x77656972;

/**
 * Schema migrations, in order: `migrations[i]` takes the schema from version i to i + 1. A file at
 * a version above `migrations.length` was written by a newer weir and is refused, never rewritten.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    plan BLOB NOT NULL,
    inputs BLOB,
    state TEXT NOT NULL,
    owner_id TEXT,
    owner_pid INTEGER,
    owner_host TEXT,
    epoch INTEGER NOT NULL,
    heartbeat_at INTEGER,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    total INTEGER,
    error BLOB,
    snapshot BLOB
  );
  CREATE INDEX runs_started ON runs (started_at);
  CREATE TABLE checkpoints (
    run_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    watermark INTEGER NOT NULL,
    done BLOB NOT NULL,
    done_count INTEGER NOT NULL,
    accumulators BLOB NOT NULL,
    stage_state BLOB NOT NULL,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE inbox (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    item BLOB NOT NULL,
    PRIMARY KEY (run_id, idx)
  ) WITHOUT ROWID;
  CREATE TABLE task_results (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    result BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    completed_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, task)
  ) WITHOUT ROWID;
  CREATE TABLE added_tasks (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    seq INTEGER NOT NULL,
    parent TEXT NOT NULL,
    spec BLOB NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, task)
  ) WITHOUT ROWID;
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    run_kind TEXT NOT NULL,
    run_name TEXT NOT NULL,
    key TEXT NOT NULL,
    stage TEXT NOT NULL,
    idx INTEGER,
    item BLOB NOT NULL,
    error_name TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT NOT NULL,
    error BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    first_failed_at INTEGER NOT NULL,
    last_failed_at INTEGER NOT NULL,
    replayed_at INTEGER
  );
  CREATE INDEX dead_letters_run ON dead_letters (run_id);
  CREATE INDEX dead_letters_name_stage ON dead_letters (run_name, stage);
  CREATE INDEX dead_letters_code ON dead_letters (error_code);
  CREATE INDEX dead_letters_last_failed ON dead_letters (last_failed_at);
  CREATE TABLE cache (
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    stored_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (stage, key)
  );
  CREATE INDEX cache_write_order ON cache (stage);
  CREATE INDEX cache_expiry ON cache (stage, expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 1 → 2: running weir processes, for `weir top` (src/top/StoreRegistry.ts writes and reads it)
  `
  CREATE TABLE processes (
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    run_ids TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    PRIMARY KEY (host, pid)
  ) WITHOUT ROWID;
  `,
];

/** The schema version this code writes. */
export const schemaVersion = migrations.length;

/**
 * Brings the file's schema to {@link schemaVersion} in one transaction, or refuses: a newer version
 * (`WEIR_STORE_SCHEMA_NEWER`), or a SQLite file of another application (`WEIR_STORE_CORRUPT`).
 * Reads before it writes: a refused file is left exactly as it was.
 */
export function migrate(db: Database.Database, location: string): void {
  const check = (): number => {
    const version = db.pragma("user_version", { simple: true }) as number;
    const app = db.pragma("application_id", { simple: true }) as number;
    if (version > schemaVersion) {
      throw new StoreError(
        "WEIR_STORE_SCHEMA_NEWER",
        location,
        "open",
        `the file has schema version ${version}, this weir knows up to ${schemaVersion}: it was written by a newer weir; upgrade weir (the file was not changed)`,
      );
    }
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
    if (app !== applicationId && (version !== 0 || tables.n > 0)) {
      throw new StoreError(
        "WEIR_STORE_CORRUPT",
        location,
        "open",
        `the file is a SQLite database of another application (application_id ${app}, user_version ${version}); point WEIR_DB at a weir store (the file was not changed)`,
      );
    }
    return version;
  };
  if (check() === schemaVersion) return;
  db.transaction(() => {
    const from = check(); // again, under the write lock: another process may have migrated meanwhile
    for (let version = from; version < schemaVersion; version++) db.exec(migrations[version]!);
    db.pragma(`application_id = ${applicationId}`);
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}
