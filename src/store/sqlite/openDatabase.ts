import Database from "better-sqlite3";
import { accessSync, closeSync, constants, fstatSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { StoreError } from "../../errors/StoreError.js";
import { migrate } from "./schema.js";
import { toStoreError } from "./toStoreError.js";

/** How the file is opened (filled options of `sqliteStore`). */
export interface OpenSettings {
  readonly path: string;
  readonly durability: "normal" | "fsync";
  readonly busyTimeoutMs: number;
  readonly maxBytes: number | undefined;
  /** Leave WAL checkpoints to another connection (the checkpointer thread) instead of SQLite's auto-checkpoint. */
  readonly manualWalCheckpoints: boolean;
}

/** The store's file: `path` when given, else `$WEIR_DB`, else `.weir/weir.db` under the working directory. */
export function storePath(path: string | undefined): string {
  if (path === ":memory:") return path;
  return resolve(path ?? process.env["WEIR_DB"] ?? join(process.cwd(), ".weir", "weir.db"));
}

/**
 * Opens (creating it and its directory when missing) and migrates the store's file, in WAL mode
 * with `synchronous` NORMAL (survives a killed process) or FULL (`durability: "fsync"`: survives
 * power loss). Checks before it writes anything: a file that is not SQLite, is truncated, belongs
 * to another application or has a newer schema is refused with a coded error and left unchanged.
 */
export function openDatabase(settings: OpenSettings): Database.Database {
  const { path } = settings;
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw toStoreError(error, path, "open");
    }
    checkHeader(path);
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: settings.busyTimeoutMs });
    // reads first: a refused file is never written
    migrate(db, path);
    if (path !== ":memory:" && db.pragma("journal_mode = WAL", { simple: true }) !== "wal") {
      throw new StoreError("WEIR_STORE_IO", path, "open", "the file system does not support WAL mode");
    }
    db.pragma(`synchronous = ${settings.durability === "fsync" ? "FULL" : "NORMAL"}`);
    if (settings.manualWalCheckpoints) db.pragma("wal_autocheckpoint = 0");
    if (settings.maxBytes !== undefined) {
      const pageSize = db.pragma("page_size", { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxBytes / pageSize))}`);
    }
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(unwritable(path, error), path, "open");
  }
}

/**
 * SQLite says only "unable to open database file" (SQLITE_CANTOPEN) or "attempt to write a readonly
 * database" when the file, its directory or the file system refuse writes: find out which, so the
 * error can say so (`EACCES`/`EROFS` → `WEIR_STORE_READ_ONLY`). Other errors pass through.
 */
function unwritable(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !(code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY"))) {
    return error;
  }
  for (const [target, what] of [
    [path, "the file"],
    [`${path}-wal`, "its WAL file"],
    [dirname(path), "its directory"],
  ] as const) {
    try {
      accessSync(target, constants.R_OK | constants.W_OK);
    } catch (denied) {
      const reason = (denied as NodeJS.ErrnoException).code;
      if (reason === "EACCES" || reason === "EROFS" || reason === "EPERM") {
        return Object.assign(new Error(`${what} ${target} is not writable`, { cause: error }), {
          code: reason,
        });
      }
    }
  }
  return error;
}

/**
 * Refuses a file that cannot be a whole SQLite database: wrong magic, or shorter than the page
 * count its header records (a truncated copy). An empty or missing file is a new store. With a
 * non-empty WAL beside it the size is not checked: a checkpoint interrupted by a full disk leaves
 * the header ahead of the file and the missing pages in the WAL, which SQLite reads from there.
 */
function checkHeader(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw toStoreError(error, path, "open");
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const header = Buffer.alloc(100);
    const read = readSync(fd, header, 0, 100, 0);
    const corrupt = (reason: string): StoreError =>
      new StoreError(
        "WEIR_STORE_CORRUPT",
        path,
        "open",
        `${reason}; the file was not changed: move it aside (or point WEIR_DB elsewhere) and keep it for recovery`,
      );
    if (read < 100) throw corrupt(`the file is ${size} bytes, shorter than a SQLite header`);
    if (header.toString("latin1", 0, 16) !== "SQLite format 3\0") throw corrupt("the file is not a SQLite database");
    const rawPageSize = header.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    const pages = header.readUInt32BE(28);
    // the in-header size is valid when "version-valid-for" (92) equals the change counter (24)
    const sizeValid = header.readUInt32BE(92) === header.readUInt32BE(24);
    if (sizeValid && size < pages * pageSize && walSize(path) === 0) {
      throw corrupt(`the file is truncated: ${size} bytes, its header records ${pages} pages of ${pageSize} bytes`);
    }
  } finally {
    closeSync(fd);
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
