import type { ItemQueue } from "./ItemQueue.js";

interface Entry<T> {
  value: T;
  seq: number;
  priority: number;
  order: number;
}

/**
 * A binary max-heap on `priority(item)`: higher first, first-in first-out among equal priorities
 * (ties are broken by arrival order, not by source index, so merged branches stay fair).
 */
export class PriorityQueue<T> implements ItemQueue<T> {
  readonly #priority: (value: T) => number;
  #heap: Entry<T>[] = [];
  #order = 0;
  shiftedSeq = -1;

  constructor(priority: (value: T) => number) {
    this.#priority = priority;
  }

  get size(): number {
    return this.#heap.length;
  }

  push(value: T, seq: number): void {
    const p = this.#priority(value);
    const entry: Entry<T> = { value, seq, priority: Number.isFinite(p) ? p : 0, order: this.#order++ };
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  shift(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
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

  /** Removes the entry that would be served last: lowest priority, newest among equals. */
  evict(): T {
    const heap = this.#heap;
    let worst = 0;
    for (let i = 1; i < heap.length; i++) if (before(heap[worst]!, heap[i]!)) worst = i;
    const entry = heap[worst]!;
    // Rebuild is O(n); eviction happens only under a drop policy on a full queue.
    heap.splice(worst, 1);
    const rest = heap.splice(0);
    for (const e of rest) this.#reinsert(e);
    this.shiftedSeq = entry.seq;
    return entry.value;
  }

  #reinsert(entry: Entry<T>): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.order < b.order);
}
