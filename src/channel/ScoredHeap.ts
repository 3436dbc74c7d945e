import type { ItemQueue } from "./ItemQueue.js";

interface Entry<T> {
  readonly value: T;
  readonly seq: number;
  readonly score: number;
  readonly order: number;
}

/**
 * The binary max-heap behind the priority queues: each item gets a score when pushed (`score`,
 * fixed from then on), higher scores first, first-in first-out among equal scores (ties broken by
 * arrival order, not by source index, so merged branches stay fair). O(log n) push and shift.
 */
export class ScoredHeap<T> implements ItemQueue<T> {
  readonly #score: (value: T) => number;
  #heap: Entry<T>[] = [];
  #order = 0;
  shiftedSeq = -1;

  /** @param score an item's score when pushed; a non-finite score counts as 0 */
  constructor(score: (value: T) => number) {
    this.#score = score;
  }

  get size(): number {
    return this.#heap.length;
  }

  push(value: T, seq: number): void {
    const s = this.#score(value);
    const heap = this.#heap;
    heap.push({ value, seq, score: Number.isFinite(s) ? s : 0, order: this.#order++ });
    this.#up(heap.length - 1);
  }

  shift(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#down(0);
    }
    this.shiftedSeq = top.seq;
    return top.value;
  }

  minSeq(): number {
    let min = Infinity;
    for (const e of this.#heap) if (e.seq < min) min = e.seq;
    return min;
  }

  forEachSeq(visit: (seq: number) => void): void {
    for (const e of this.#heap) visit(e.seq);
  }

  /** Removes the entry that would be served last: lowest score, newest among equals. O(n). */
  evict(): T {
    const heap = this.#heap;
    // The last to serve is a leaf; leaves are the second half of the array.
    let worst = heap.length >> 1;
    for (let i = worst + 1; i < heap.length; i++) if (before(heap[worst]!, heap[i]!)) worst = i;
    const entry = heap[worst]!;
    const last = heap.pop()!;
    if (worst < heap.length) {
      heap[worst] = last;
      this.#up(worst);
      this.#down(worst);
    }
    this.shiftedSeq = entry.seq;
    return entry.value;
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, entry)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = entry;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.score > b.score || (a.score === b.score && a.order < b.order);
}
