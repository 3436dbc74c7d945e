/**
 * The Retry-After an error carries, in ms, or `undefined`. Looked for, in order: a numeric
 * `retryAfterMs` property; a `Retry-After` header on `error.headers` or `error.response.headers`
 * (a `Headers`, or a plain object with any key case), as delta-seconds or an HTTP date. An HTTP
 * date is measured against the wall clock `nowWallMs` (dates are wall-clock; weir's clocks are
 * monotonic). The stage runner passes the result to {@link Admission.penalize}.
 *
 * @example
 * ```ts
 * catch (error) { const ms = retryAfterMs(error); if (ms !== undefined) limiter.penalize(item, ms, clock.now()); throw error; }
 * ```
 */
export function retryAfterMs(error: unknown, nowWallMs: number = Date.now()): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { retryAfterMs?: unknown; headers?: unknown; response?: { headers?: unknown } | null };
  if (typeof e.retryAfterMs === "number" && e.retryAfterMs >= 0 && Number.isFinite(e.retryAfterMs))
    return e.retryAfterMs;
  const header =
    headerValue(e.headers) ??
    headerValue(typeof e.response === "object" && e.response !== null ? e.response.headers : undefined);
  return header === undefined ? undefined : parseRetryAfter(header, nowWallMs);
}

/** Parses a Retry-After header value: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string, nowWallMs: number = Date.now()): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowWallMs);
}

function headerValue(headers: unknown): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  const h = headers as { get?: unknown };
  if (typeof h.get === "function") {
    const v: unknown = (h.get as (name: string) => unknown).call(headers, "retry-after");
    return typeof v === "string" ? v : undefined;
  }
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === "retry-after") {
      if (typeof v === "string") return v;
      if (typeof v === "number") return String(v);
      if (Array.isArray(v) && typeof v[0] === "string") return v[0];
    }
  }
  return undefined;
}
