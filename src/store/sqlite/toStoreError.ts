import { StoreError, type StoreErrorCode } from "../../errors/StoreError.js";
import { WeirError } from "../../errors/WeirError.js";

/**
 * Maps what SQLite or the file system threw to a coded {@link StoreError}, with a reason that says
 * what to do; weir errors (a claim refused inside a transaction) pass through unchanged.
 */
export function toStoreError(error: unknown, location: string, operation: string): WeirError {
  if (WeirError.is(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const tag = typeof code === "string" ? code : undefined;
  const [weirCode, reason] = classify(tag, error);
  return new StoreError(weirCode, location, operation, reason, {
    cause: error,
    ...(tag === undefined ? {} : { sqliteCode: tag }),
  });
}

function classify(code: string | undefined, error: unknown): [StoreErrorCode, string] {
  const message = error instanceof Error ? error.message : String(error);
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") {
    return [
      "WEIR_STORE_FULL",
      "the disk (or the store's maxBytes) is full; the commit was rolled back and what was committed before is intact: free space, then resume",
    ];
  }
  if (code?.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return [
      "WEIR_STORE_CORRUPT",
      `the file is damaged or not a weir store (${message}); it was not changed: move it aside (or point WEIR_DB elsewhere) and keep it for recovery`,
    ];
  }
  if (
    code?.startsWith("SQLITE_READONLY") ||
    code === "SQLITE_PERM" ||
    code === "EACCES" ||
    code === "EROFS" ||
    code === "EPERM" ||
    (code?.startsWith("SQLITE_CANTOPEN") === true && /permission|read-only|readonly/i.test(message))
  ) {
    return ["WEIR_STORE_READ_ONLY", `read-only: ${message}`];
  }
  if (code?.startsWith("SQLITE_BUSY") || code?.startsWith("SQLITE_LOCKED")) {
    return ["WEIR_STORE_BUSY", `another connection held the lock past busyTimeoutMs (${message})`];
  }
  return ["WEIR_STORE_IO", message];
}
