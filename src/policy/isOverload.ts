import { WeirError } from "../errors/WeirError.js";
import { retryAfterMs } from "./retryAfterMs.js";

/**
 * Whether an error says "you are sending too much": HTTP 429 or 503 (on `status`, `statusCode`
 * or `response.status`), a Retry-After, or a weir timeout or rate-limit error. The default signal
 * by which {@link AdaptiveConcurrency} backs off on errors.
 */
export function isOverload(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (WeirError.is(error)) return error.code === "WEIR_TIMEOUT" || error.code === "WEIR_RATE_LIMITED";
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } | null };
  const status =
    e.status ?? e.statusCode ?? (typeof e.response === "object" && e.response !== null ? e.response.status : undefined);
  if (status === 429 || status === 503) return true;
  return retryAfterMs(error) !== undefined;
}
