import { MSG_BATCH, MSG_RESULT } from "./WireMessage.js";

/** Fewer numbers than this go as they are: a typed array saves nothing on a handful. */
export const MIN_PACKED_NUMBERS = 8;

/**
 * Arrays of numbers, one after another in `numbers`, `lengths[i]` of them for the i-th: a
 * `mapBatch` stage's batches, or items that are vectors.
 */
interface PackedArrays {
  readonly numbers: Float64Array;
  readonly lengths: Uint32Array;
}

/**
 * What {@link packNumbers} returns for a pipe when a batch's items or a result's values are all
 * 32-bit integers (or arrays of them): they stay as they are, and hold no string.
 */
export const INTEGERS = "integers";

/** A batch or a result whose items (`x`) or values (`v`) travel in typed arrays. */
export interface PackedNumbers {
  /** The message, that one field replaced by its numbers in typed arrays. */
  readonly message: object;
  /** The typed arrays' buffers, for the port to transfer instead of copying. */
  readonly transfer: ArrayBuffer[];
}

/**
 * When a batch's items or a result's values are all numbers, or all arrays of numbers (a
 * `mapBatch` stage's batches and their results, vectors), with at least
 * {@link MIN_PACKED_NUMBERS} numbers in all: the message with that field in typed arrays (a
 * `Float64Array`, and for arrays of numbers a `Uint32Array` of their lengths). Eight bytes a number,
 * written and read in one pass, where msgpack encodes and decodes each number in JavaScript.
 * Exact: a `Float64Array` holds any JavaScript number, `-0` and `NaN` included. Undefined for any
 * other message, or when one element is of another kind (the check stops there). With
 * `integersStay` (a process's pipe) and every number a 32-bit integer, {@link INTEGERS} instead: a
 * pipe is paid by the byte, and msgpack writes those in one to five, so they stay as they are (a
 * pipe packs only fractions and the like, where msgpack writes nine bytes a number and spends
 * longer on each); the caller then knows that field holds numbers and nothing else.
 */
export function packNumbers(message: object): PackedNumbers | undefined;
export function packNumbers(message: object, integersStay: true): PackedNumbers | typeof INTEGERS | undefined;
export function packNumbers(message: object, integersStay = false): PackedNumbers | typeof INTEGERS | undefined {
  const m = message as { readonly t?: unknown };
  const values = itemsOf(message);
  if (!Array.isArray(values) || values.length === 0) return undefined;
  let packed: Float64Array | PackedArrays | typeof INTEGERS | undefined;
  if (typeof values[0] === "number") packed = flat(values, integersStay);
  else if (Array.isArray(values[0])) packed = nested(values, integersStay);
  if (packed === undefined || packed === INTEGERS) return packed;
  const transfer =
    packed instanceof Float64Array
      ? [packed.buffer as ArrayBuffer]
      : [packed.numbers.buffer as ArrayBuffer, packed.lengths.buffer as ArrayBuffer];
  return { message: m.t === MSG_BATCH ? { ...m, x: packed } : { ...m, v: packed }, transfer };
}

/** What a message carries of the user's: a batch's items (`x`), a result's values (`v`); undefined for any other. */
export function itemsOf(message: object): unknown {
  const m = message as { readonly t?: unknown; readonly x?: unknown; readonly v?: unknown };
  return m.t === MSG_BATCH ? m.x : m.t === MSG_RESULT ? m.v : undefined;
}

/** The name of the field {@link itemsOf} reads: `x` for a batch, `v` for a result; undefined for any other. */
export function itemsField(message: object): "x" | "v" | undefined {
  const t = (message as { readonly t?: unknown }).t;
  return t === MSG_BATCH ? "x" : t === MSG_RESULT ? "v" : undefined;
}

/**
 * True for a number msgpack does not carry as a small integer: a fraction, NaN, ±Infinity, one
 * beyond 32 bits, or -0 (which msgpack turns into 0).
 */
function notInt32(v: number): boolean {
  return (v | 0) !== v || isNegativeZero(v);
}

/** True for -0, which msgpack carries as 0: a message holding one must not go as msgpack. */
function isNegativeZero(v: unknown): boolean {
  return v === 0 && 1 / (v as number) < 0;
}

function flat(values: readonly unknown[], integersStay: boolean): Float64Array | typeof INTEGERS | undefined {
  const n = values.length;
  // a handful goes as it is, unless one is -0, which msgpack would turn into 0
  if (n < MIN_PACKED_NUMBERS && !values.some(isNegativeZero)) return undefined;
  let other = !integersStay;
  for (let k = 0; k < n; k++) {
    const v = values[k];
    if (typeof v !== "number") return undefined;
    if (!other && notInt32(v)) other = true;
  }
  if (!other) return INTEGERS;
  const packed = new Float64Array(n);
  for (let k = 0; k < n; k++) packed[k] = values[k] as number;
  return packed;
}

function nested(values: readonly unknown[], integersStay: boolean): PackedArrays | typeof INTEGERS | undefined {
  const n = values.length;
  let total = 0;
  let other = !integersStay;
  for (let k = 0; k < n; k++) {
    const a = values[k];
    if (!Array.isArray(a)) return undefined;
    for (let j = 0; j < a.length; j++) {
      const v = a[j];
      if (typeof v !== "number") return undefined;
      if (!other && notInt32(v)) other = true;
    }
    total += a.length;
  }
  if (total < MIN_PACKED_NUMBERS && !values.some((a) => (a as unknown[]).some(isNegativeZero))) return undefined;
  if (!other) return INTEGERS;
  const numbers = new Float64Array(total);
  const lengths = new Uint32Array(n);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const a = values[k] as number[];
    const len = a.length;
    lengths[k] = len;
    for (let j = 0; j < len; j++) numbers[at++] = a[j]!;
  }
  return { numbers, lengths };
}

/**
 * The receiving side of {@link packNumbers}: a batch's or a result's typed arrays back into plain
 * arrays, in place (the message is the receiver's own copy). Any other message is returned as it
 * is.
 */
export function unpackNumbers(message: unknown): unknown {
  if (message === null || typeof message !== "object") return message;
  const m = message as { t?: unknown; x?: unknown; v?: unknown };
  if (m.t === MSG_BATCH) m.x = unpacked(m.x);
  else if (m.t === MSG_RESULT) m.v = unpacked(m.v);
  return message;
}

/** A field as it was sent: plain arrays stay as they are (what was not packed). */
function unpacked(field: unknown): unknown {
  if (Array.isArray(field)) return field;
  if (field instanceof Float64Array) return plainArray(field, 0, field.length);
  if (field !== null && typeof field === "object") {
    const { numbers, lengths } = field as Partial<PackedArrays>;
    if (numbers instanceof Float64Array && lengths instanceof Uint32Array && sum(lengths) === numbers.length) {
      const out = new Array<number[]>(lengths.length);
      let at = 0;
      for (let k = 0; k < lengths.length; k++) {
        const len = lengths[k]!;
        out[k] = plainArray(numbers, at, at + len);
        at += len;
      }
      return out;
    }
  }
  // not as this side packs: left for the message's shape check to refuse
  return field;
}

function sum(lengths: Uint32Array): number {
  let total = 0;
  for (let k = 0; k < lengths.length; k++) total += lengths[k]!;
  return total;
}

/**
 * `numbers[from..to)` as a plain array, made at its length and written by index: twice as fast as
 * pushing (which grows the array a dozen times for 1,024 numbers), and 7–15× `Array.from` or
 * `slice` of a typed array (a `/tmp` microbenchmark, bench/README.md).
 */
function plainArray(numbers: Float64Array, from: number, to: number): number[] {
  const out = new Array<number>(to - from);
  for (let k = from; k < to; k++) out[k - from] = numbers[k]!;
  return out;
}
