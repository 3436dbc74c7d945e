import { func, knownKeys, optional, plainObject, positiveNumber } from "../options/validate.js";
import { clockOption } from "../time/clockOption.js";
import { systemClock, type Clock } from "../time/Clock.js";
import type { ItemQueue } from "./ItemQueue.js";

/**
 * Options of {@link AgingPriorityQueue}.
 *
 * @example
 * ```ts
 * new AgingPriorityQueue<Job>({ priority: (j) => j.priority, agingPerSecond: 1, clock })
 * ```
 */
export interface AgingPriorityQueueOptions<T> {
  /** Priority of an item when queued: higher first. Non-finite values count as 0. */
  readonly priority: (item: T) => number;
  /** How much an item's effective priority rises per second it waits. @default 1 */
  readonly agingPerSecond?: number;
  /** The clock waits are measured on. @default systemClock */
  readonly clock?: Clock;
}

/** Aging priority queue defaults. */
export const agingPriorityQueueDefaults = Object.freeze({ agingPerSecond: 1 });

interface Entry<T> {
  readonly value: T;
  readonly seq: number;
  /** Effective priority at the queue's origin: `priority − agingPerSecond × queuedAt / 1000`. */
  readonly score: number;
  readonly order: number;
}

/**
 * A priority queue whose items gain `agingPerSecond` priority per second of waiting, so a low
 * priority item is never starved: it is served before anything queued more than
 * `(pHigh − pLow) / agingPerSecond` seconds after it. Under a load that the consumer keeps up with
 * on average, its wait is therefore bounded by that delay plus the time to serve what was queued
 * before it. Every item ages at the same rate, so the order between two queued items never
 * changes: it is a plain binary heap on a score fixed at push time, O(log n), no re-sorting.
 * FIFO among equal effective priorities.
 */
export class AgingPriorityQueue<T> implements ItemQueue<T> {
  readonly #priority: (item: T) => number;
  readonly #perMs: number;
  readonly #clock: Clock;
  readonly #origin: number;
  #heap: Entry<T>[] = [];
  #order = 0;
  shiftedSeq = -1;

  constructor(options: AgingPriorityQueueOptions<T>) {
    const where = "AgingPriorityQueue";
    const o = plainObject(options, "options", where);
    knownKeys(o, ["priority", "agingPerSecond", "clock"], "", where);
    this.#priority = func<(item: T) => number>(o.priority, "priority", where);
    this.#perMs =
      optional(o.agingPerSecond, agingPriorityQueueDefaults.agingPerSecond, (v) =>
        positiveNumber(v, "agingPerSecond", where),
      ) / 1000;
    this.#clock = optional(o.clock, systemClock, (v) => clockOption(v, where));
    this.#origin = this.#clock.now();
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The effective priority, now, of an item with `priority` queued at clock time `queuedAt`. */
  effectivePriority(priority: number, queuedAt: number): number {
    return priority + (this.#clock.now() - queuedAt) * this.#perMs;
  }

  push(value: T, seq: number): void {
    const p = this.#priority(value);
    const score = (Number.isFinite(p) ? p : 0) - (this.#clock.now() - this.#origin) * this.#perMs;
    const entry: Entry<T> = { value, seq, score, order: this.#order++ };
    const heap = this.#heap;
    heap.push(entry);
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

  /** Removes the entry that would be served last: lowest effective priority, newest among equals. O(n). */
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
