import type { ReadTarget, SourceReader } from "./SourceReader.js";

/**
 * Reads an array (or any array-like) by index: the fastest source, no iterator protocol. Closing
 * it early leaves {@link ArrayReader.position} at what was read (a stopped run reports the items
 * it really pulled, and its low watermark never passes an item that was not).
 */
export class ArrayReader<T> implements SourceReader<T> {
  readonly #items: ArrayLike<T>;
  #position = 0;
  #closed = false;

  /** `start`: the index of the first item to read (a resumed durable run starts at its watermark). */
  constructor(items: ArrayLike<T>, start = 0) {
    this.#items = items;
    this.#position = start;
  }

  /** True once the source is exhausted. */
  get done(): boolean {
    return this.#closed || this.#position >= this.#items.length;
  }

  /** Items pulled so far (the source position). */
  get position(): number {
    return this.#position;
  }

  /** The array itself, for readers that process it in place. */
  get items(): ArrayLike<T> {
    return this.#items;
  }

  /** Advances the position by up to `max` without copying; returns how many items were skipped over. */
  advance(max: number): number {
    if (this.#closed) return 0;
    const start = this.#position;
    this.#position = Math.min(this.#items.length, start + max);
    return this.#position - start;
  }

  /** Writes up to `max` items to `out[0..n)`; returns n (0 only at the end). */
  read(max: number, out: T[]): number {
    if (this.#closed) return 0;
    const items = this.#items;
    const start = this.#position;
    const end = Math.min(items.length, start + max);
    let o = 0;
    for (let i = start; i < end; i++) out[o++] = items[i]!;
    this.#position = end;
    return end - start;
  }

  /** {@link ArrayReader.read} straight into a channel with room for `max` items, item `k` with the seq `first + k`. */
  readInto(max: number, into: ReadTarget<T>, first: number): number {
    if (this.#closed) return 0;
    const items = this.#items;
    const start = this.#position;
    const end = Math.min(items.length, start + max);
    for (let i = start; i < end; i++) into.push(items[i]!, first + i - start);
    this.#position = end;
    return end - start;
  }

  /** Stops the source early: nothing more is read; the position stays where it is. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
