import { WeirError } from "../errors/WeirError.js";

/**
 * The code an error is counted under: a WeirError's `code`, or a string `code` the error carries
 * (Node's `ECONNRESET`…, 64 characters at most), else `"none"`.
 */
export function errorCode(error: unknown): string {
  if (WeirError.is(error)) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && code.length > 0 && code.length <= 64 ? code : "none";
}
