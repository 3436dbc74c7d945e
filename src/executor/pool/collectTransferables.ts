/** Most values a walk looks at, so a huge object graph costs a bounded amount. */
const NODE_BUDGET = 256;
/** Deepest nesting a walk follows. */
const MAX_DEPTH = 4;

/**
 * Adds to `out` the ArrayBuffers found in `value` (itself, a typed array or DataView over a whole
 * buffer, or such values inside arrays and plain objects, up to 4 levels and 256 values deep), so
 * `postMessage` moves them instead of copying them. A view over part of a buffer (a pooled small
 * `Buffer`, a `subarray`) is left to be copied: moving it would detach memory the sender still uses.
 * Shared and empty buffers are skipped. Returns `out`.
 *
 * @example
 * ```ts
 * const transfer = collectTransferables(results, []);
 * port.postMessage(results, transfer);
 * ```
 */
export function collectTransferables(value: unknown, out: ArrayBuffer[]): ArrayBuffer[] {
  if (value === null || typeof value !== "object") return out;
  const budget = { left: NODE_BUDGET };
  walk(value, out, 0, budget);
  return out;
}

function walk(value: object, out: ArrayBuffer[], depth: number, budget: { left: number }): void {
  if (--budget.left < 0) return;
  if (value instanceof ArrayBuffer) {
    add(value, out);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength) add(buffer, out);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && budget.left > 0; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === "object") walk(v, out, depth + 1, budget);
    }
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === "object") walk(v, out, depth + 1, budget);
    if (budget.left <= 0) return;
  }
}

function add(buffer: ArrayBuffer, out: ArrayBuffer[]): void {
  if (buffer.byteLength === 0 || out.includes(buffer)) return;
  out.push(buffer);
}
