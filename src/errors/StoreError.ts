import { WeirError, type WeirErrorCode } from "./WeirError.js";

/** The codes a {@link StoreError} carries: what went wrong with the store's file. */
export type StoreErrorCode = Extract<
  WeirErrorCode,
  | "WEIR_STORE_CORRUPT"
  | "WEIR_STORE_FULL"
  | "WEIR_STORE_READ_ONLY"
  | "WEIR_STORE_IO"
  | "WEIR_STORE_BUSY"
  | "WEIR_STORE_SCHEMA_NEWER"
  | "WEIR_STORE_CLOSED"
>;

/**
 * The durable store could not do what was asked: its file is corrupt, the disk is full, the file or
 * its directory is read-only, another connection held the lock past `busyTimeoutMs`, the file was
 * written by a newer weir, or the store was closed. Nothing already committed is lost: a failed
 * commit is rolled back as a whole, and the file is never rewritten to "repair" it.
 *
 * @example
 * ```
 * StoreError: store .weir/weir.db: commit failed: the disk is full (SQLITE_FULL); free space, then resume the run
 * ```
 */
export class StoreError extends WeirError {
  /** The class name: `error.name`, and what `StoreError.is(e)` matches. */
  static override readonly name: string = "StoreError";
  declare readonly code: StoreErrorCode;
  /** The store's location: a file path, or `":memory:"`. */
  readonly location: string;
  /** What the store was doing: `"open"`, `"migrate"`, `"commit"`, `"claim"`, `"read"`, `"write"`. */
  readonly operation: string;
  /** SQLite's extended result code (`"SQLITE_FULL"`…) or the system error code (`"EACCES"`…), when there was one. */
  readonly sqliteCode: string | undefined;

  constructor(
    code: StoreErrorCode,
    location: string,
    operation: string,
    reason: string,
    options: { cause?: unknown; sqliteCode?: string } = {},
  ) {
    const tag = options.sqliteCode === undefined ? "" : ` (${options.sqliteCode})`;
    super(code, `store ${location}: ${operation} failed: ${reason}${tag}`, { cause: options.cause });
    this.location = location;
    this.operation = operation;
    this.sqliteCode = options.sqliteCode;
  }
}
