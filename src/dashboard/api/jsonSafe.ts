/** Bytes of a binary value shown, at most. */
const maxBytesShown = 256;

/**
 * A JSON-safe copy of a stored value (a dead letter's item): bigints as strings, bytes as
 * `{ $bytes: base64 }` (the first 256), dates as ISO strings, maps and sets as objects and arrays,
 * cycles and functions as strings, at most `depth` levels deep.
 */
export function jsonSafe(value: unknown, depth = 32, seen = new Set<object>()): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return null;
  if (typeof value !== "object") return `[${typeof value}]`;
  if (seen.has(value)) return "[cycle]";
  if (depth <= 0) return "[too deep]";
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return {
      $bytes: Buffer.from(bytes.subarray(0, maxBytesShown)).toString("base64"),
      length: bytes.length,
    };
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth - 1, seen));
    if (value instanceof Set) return [...value].map((v) => jsonSafe(v, depth - 1, seen));
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[String(k)] = jsonSafe(v, depth - 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}
