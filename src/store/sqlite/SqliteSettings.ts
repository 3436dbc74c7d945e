/** A SQLite store's effective settings, read from its connection (for diagnostics and tests). */
export interface SqliteSettings {
  readonly path: string;
  /** `"wal"` for a file. */
  readonly journalMode: string;
  /** `"NORMAL"` (durability "normal") or `"FULL"` (durability "fsync"). */
  readonly synchronous: "OFF" | "NORMAL" | "FULL" | "EXTRA";
  readonly busyTimeoutMs: number;
  /** 0 when WAL checkpoints run on their own thread. */
  readonly walAutoCheckpointPages: number;
  /** The size cap (SQLite's max_page_count × page_size). */
  readonly maxBytes: number;
  readonly schemaVersion: number;
}
