/**
 * A growable ring buffer of (value, seq) pairs with O(1) push at the back and removal at either
 * end, no per-item allocation: a channel's FIFO queue (`FifoQueue`) and the per-key lane of
 * a `FairQueue`.
 */
export class Deque<T> {
  #values: (T | undefined)[];
  #seqs: Float64Array;
  #head = 0;
  #size = 0;
  #mask: number;
  /** Seq of the value last removed (by `shift` or `pop`). */
  shiftedSeq = -1;

  constructor(initialCapacity = 4) {
    let cap = 4;
    while (cap < initialCapacity) cap *= 2;
    this.#values = new Array<T | undefined>(cap);
    this.#seqs = new Float64Array(cap);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  push(value: T, seq: number): void {
    if (this.#size > this.#mask) this.#grow();
    const i = (this.#head + this.#size) & this.#mask;
    this.#values[i] = value;
    this.#seqs[i] = seq;
    this.#size++;
  }

  /** The smallest seq held (Infinity when empty). O(size). */
  minSeq(): number {
    let min = Infinity;
    for (let k = 0; k < this.#size; k++) {
      const s = this.#seqs[(this.#head + k) & this.#mask]!;
      if (s < min) min = s;
    }
    return min;
  }

  /** Calls `visit` with every seq held (oldest first). O(size). */
  forEachSeq(visit: (seq: number) => void): void {
    for (let k = 0; k < this.#size; k++) visit(this.#seqs[(this.#head + k) & this.#mask]!);
  }

  /** The oldest, not removed. Only when `size > 0`. */
  first(): T {
    return this.#values[this.#head] as T;
  }

  /** Removes the oldest. Only when `size > 0`. */
  shift(): T {
    const i = this.#head;
    const value = this.#values[i] as T;
    this.#values[i] = undefined;
    this.shiftedSeq = this.#seqs[i]!;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return value;
  }

  /**
   * Removes the oldest `n` (at most `size`) into `into[0..n)` and returns the first one's seq. The
   * seq of each is in {@link Deque.runSeqs} when they do not follow the first one by one (`first`,
   * `first + 1`, …); it is undefined when they do.
   */
  shiftRun(into: T[], n: number): number {
    const values = this.#values;
    const seqs = this.#seqs;
    const mask = this.#mask;
    let i = this.#head;
    const first = seqs[i]!;
    let each: number[] | undefined;
    for (let k = 0; k < n; k++) {
      into[k] = values[i] as T;
      values[i] = undefined;
      const seq = seqs[i]!;
      if (each !== undefined) each[k] = seq;
      else if (seq !== first + k) {
        each = new Array<number>(n);
        for (let j = 0; j < k; j++) each[j] = first + j;
        each[k] = seq;
      }
      i = (i + 1) & mask;
    }
    this.#head = i;
    this.#size -= n;
    this.shiftedSeq = seqs[(i - 1) & mask]!;
    this.runSeqs = each;
    return first;
  }

  /** Each seq of the run {@link Deque.shiftRun} removed last, when they were not consecutive. */
  runSeqs: number[] | undefined;

  /** Removes the newest. Only when `size > 0`. */
  pop(): T {
    const i = (this.#head + this.#size - 1) & this.#mask;
    const value = this.#values[i] as T;
    this.#values[i] = undefined;
    this.shiftedSeq = this.#seqs[i]!;
    this.#size--;
    return value;
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const values = new Array<T | undefined>(cap);
    const seqs = new Float64Array(cap);
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) & this.#mask;
      values[k] = this.#values[i];
      seqs[k] = this.#seqs[i]!;
    }
    this.#values = values;
    this.#seqs = seqs;
    this.#head = 0;
    this.#mask = cap - 1;
  }
}
