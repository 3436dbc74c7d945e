import type { ItemQueue } from "./ItemQueue.js";

/** A growable ring buffer: O(1) push and shift, no per-item allocation. */
export class FifoQueue<T> implements ItemQueue<T> {
  #values: (T | undefined)[];
  #seqs: Float64Array;
  #head = 0;
  #size = 0;
  #mask: number;
  shiftedSeq = -1;

  constructor(initialCapacity = 16) {
    let cap = 16;
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

  shift(): T {
    const i = this.#head;
    const value = this.#values[i] as T;
    this.#values[i] = undefined;
    this.shiftedSeq = this.#seqs[i]!;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return value;
  }

  minSeq(): number {
    let min = Infinity;
    for (let k = 0; k < this.#size; k++) {
      const s = this.#seqs[(this.#head + k) & this.#mask]!;
      if (s < min) min = s;
    }
    return min;
  }

  /** In arrival order the item served last is the newest; `drop-oldest` wants the oldest: the head. */
  evict(): T {
    return this.shift();
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
