/** Most values a walk looks at, so a huge object graph costs a bounded amount. */
const NODE_BUDGET = 256;
/** Deepest nesting a walk follows. */
const MAX_DEPTH = 4;

/** What one walk carries: its budget, and either the buffers to move or whether one is detached. */
interface WalkState {
  left: number;
  /** Where transferable buffers go; undefined when the walk only looks for a detached buffer. */
  readonly out: ArrayBuffer[] | undefined;
  detached: boolean;
}

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
  walk(value, 0, { left: NODE_BUDGET, out, detached: false });
  return out;
}

/**
 * True when `value` holds, where {@link collectTransferables} looks, an ArrayBuffer that is
 * detached (it was transferred away, so its bytes are gone here and it cannot be sent again).
 * Meant for rare paths (a resend, a retry): it walks the value again.
 *
 * @example
 * ```ts
 * if (hasDetachedBuffer(item)) throw new ItemTransferredError(stage, index, "retry");
 * ```
 */
export function hasDetachedBuffer(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const state: WalkState = { left: NODE_BUDGET, out: undefined, detached: false };
  walk(value, 0, state);
  return state.detached;
}

/** `ArrayBuffer.prototype.detached` where the engine has it (V8 11.4+; not Node 20). */
const hasDetachedGetter = "detached" in ArrayBuffer.prototype;

/** True when `buffer` was transferred away (works without `ArrayBuffer.prototype.detached`). */
function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== 0) return false;
  if (hasDetachedGetter) return (buffer as ArrayBuffer & { readonly detached: boolean }).detached;
  try {
    // a view over a detached buffer cannot be made; over an empty one it can
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function walk(value: object, depth: number, state: WalkState): void {
  if (--state.left < 0) return;
  if (value instanceof ArrayBuffer) {
    found(value, state);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (!(buffer instanceof ArrayBuffer)) return;
    // an empty or detached buffer (a DataView over a detached one throws on byteOffset)
    if (buffer.byteLength === 0) found(buffer, state);
    else if (value.byteOffset === 0 && value.byteLength === buffer.byteLength) found(buffer, state);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && state.left > 0; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === "object") walk(v, depth + 1, state);
    }
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v === "object") walk(v, depth + 1, state);
    if (state.left <= 0) return;
  }
}

function found(buffer: ArrayBuffer, state: WalkState): void {
  const out = state.out;
  if (out === undefined) {
    if (isDetached(buffer)) {
      state.detached = true;
      state.left = 0; // one is enough: stop walking
    }
    return;
  }
  if (buffer.byteLength === 0 || out.includes(buffer)) return;
  out.push(buffer);
}
