/**
 * A set of non-negative integers (source indexes) held as sorted, disjoint, half-open ranges
 * `[start, end)`: the "done above the low watermark" part of a pipeline checkpoint. Items that
 * finish out of order at concurrency c leave at most about c gaps, so the set stays small however
 * many items it covers; `encode()` writes it as varint deltas (a few bytes per range).
 *
 * @example
 * ```ts
 * const done = new RangeSet();
 * done.add(0); done.add(1); done.add(5);
 * done.firstMissing(); // 2: the low watermark
 * [...done.ranges()];  // [[0, 2], [5, 6]]
 * ```
 */
export class RangeSet {
  /** Range starts, ascending; `#ends[i]` is the exclusive end of the range at `#starts[i]`. */
  #starts: number[] = [];
  /** Exclusive range ends, parallel to `#starts`; `#ends[i] < #starts[i + 1]` (ranges never touch). */
  #ends: number[] = [];
  /** How many integers the set holds. */
  #size = 0;

  /** A set holding the given `[start, end)` ranges (any order, may overlap). */
  static from(ranges: Iterable<readonly [number, number]>): RangeSet {
    const set = new RangeSet();
    for (const [start, end] of ranges) set.addRange(start, end);
    return set;
  }

  /** How many integers the set holds. */
  get size(): number {
    return this.#size;
  }

  /** How many disjoint ranges hold them. */
  get rangeCount(): number {
    return this.#starts.length;
  }

  /** Adds one index; returns false when it was already in the set. */
  add(index: number): boolean {
    checkIndex(index, "index");
    if (this.has(index)) return false;
    this.addRange(index, index + 1);
    return true;
  }

  /** Adds every integer in `[start, end)`. */
  addRange(start: number, end: number): void {
    checkIndex(start, "start");
    checkIndex(end, "end");
    if (end <= start) return;
    // first range whose end reaches start (touching merges), last range whose start reaches end
    const first = this.#firstEndAtLeast(start);
    let last = first;
    while (last < this.#starts.length && this.#starts[last]! <= end) last++;
    let newStart = start;
    let newEnd = end;
    let removed = 0;
    for (let i = first; i < last; i++) {
      newStart = Math.min(newStart, this.#starts[i]!);
      newEnd = Math.max(newEnd, this.#ends[i]!);
      removed += this.#ends[i]! - this.#starts[i]!;
    }
    if (first === last && first === this.#starts.length) {
      this.#starts.push(newStart);
      this.#ends.push(newEnd);
    } else {
      this.#starts.splice(first, last - first, newStart);
      this.#ends.splice(first, last - first, newEnd);
    }
    this.#size += newEnd - newStart - removed;
  }

  /** True when `index` is in the set. */
  has(index: number): boolean {
    const i = this.#firstEndAtLeast(index + 1);
    return i < this.#starts.length && this.#starts[i]! <= index;
  }

  /** The first index at or above `from` that is not in the set: with `from` 0, the low watermark. */
  firstMissing(from = 0): number {
    const i = this.#firstEndAtLeast(from + 1);
    return i < this.#starts.length && this.#starts[i]! <= from ? this.#ends[i]! : from;
  }

  /** Drops every index below `index` (what a checkpoint's watermark already covers). */
  deleteBelow(index: number): void {
    let cut = 0;
    while (cut < this.#starts.length && this.#ends[cut]! <= index) {
      this.#size -= this.#ends[cut]! - this.#starts[cut]!;
      cut++;
    }
    this.#starts.splice(0, cut);
    this.#ends.splice(0, cut);
    if (this.#starts.length > 0 && this.#starts[0]! < index) {
      this.#size -= index - this.#starts[0]!;
      this.#starts[0] = index;
    }
  }

  /** The ranges, ascending, as `[start, end)` pairs. */
  *ranges(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.#starts.length; i++) yield [this.#starts[i]!, this.#ends[i]!];
  }

  /** A copy. */
  clone(): RangeSet {
    const copy = new RangeSet();
    copy.#starts = [...this.#starts];
    copy.#ends = [...this.#ends];
    copy.#size = this.#size;
    return copy;
  }

  /**
   * The set as bytes: a format byte (1), the range count, then per range the gap from the previous
   * range's end and the range's length, each an unsigned LEB128 varint (integers up to 2^53).
   */
  encode(): Uint8Array {
    const out: number[] = [1];
    writeVarint(out, this.#starts.length);
    let previousEnd = 0;
    for (let i = 0; i < this.#starts.length; i++) {
      writeVarint(out, this.#starts[i]! - previousEnd);
      writeVarint(out, this.#ends[i]! - this.#starts[i]!);
      previousEnd = this.#ends[i]!;
    }
    return Uint8Array.from(out);
  }

  /** The set `encode()` wrote; throws a RangeError on bytes it did not write. */
  static decode(bytes: Uint8Array): RangeSet {
    if (bytes[0] !== 1) throw new RangeError(`range set: unknown format byte ${bytes[0] ?? "(empty)"}`);
    const cursor = { at: 1 };
    const count = readVarint(bytes, cursor);
    const set = new RangeSet();
    let previousEnd = 0;
    for (let i = 0; i < count; i++) {
      const start = previousEnd + readVarint(bytes, cursor);
      const length = readVarint(bytes, cursor);
      if ((i > 0 && start === previousEnd) || length === 0)
        throw new RangeError("range set: ranges touch or are empty");
      set.#starts.push(start);
      set.#ends.push(start + length);
      set.#size += length;
      previousEnd = start + length;
    }
    if (cursor.at !== bytes.length) throw new RangeError("range set: trailing bytes");
    return set;
  }

  /** Index of the first range whose end is ≥ `value` (ranges.length when none). */
  #firstEndAtLeast(value: number): number {
    let low = 0;
    let high = this.#ends.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#ends[mid]! < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function checkIndex(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`range set: ${what} must be a non-negative safe integer, received ${value}`);
  }
}

function writeVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function readVarint(bytes: Uint8Array, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[cursor.at++];
    if (byte === undefined) throw new RangeError("range set: truncated");
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 0x80;
    if (scale > 2 ** 56) throw new RangeError("range set: varint too long");
  }
  if (!Number.isSafeInteger(value)) throw new RangeError("range set: value above 2^53");
  return value;
}
