import type { Clock } from "../time/Clock.js";
import type { ItemQueue } from "./ItemQueue.js";

/** A queued item with the time it was pushed. */
export interface Stamped<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * An {@link ItemQueue} that records when each item was pushed, on `clock`, and reports it in
 * {@link StampedQueue.shiftedAt} as the item leaves. It wraps a queue of {@link Stamped} entries
 * (so any queue discipline keeps its order: give it key or priority functions that read
 * `entry.value`); one small object per queued item. A stage whose items may give up waiting
 * (`maxWaitMs`) uses it, so the wait counts from when the item was queued.
 *
 * @example
 * ```ts
 * const queue = new StampedQueue<Job>(clock, new PriorityQueue<Stamped<Job>>((e) => e.value.priority));
 * ```
 */
export class StampedQueue<T> implements ItemQueue<T> {
  readonly #clock: Clock;
  readonly #inner: ItemQueue<Stamped<T>>;
  shiftedAt = -1;

  constructor(clock: Clock, inner: ItemQueue<Stamped<T>>) {
    this.#clock = clock;
    this.#inner = inner;
  }

  get size(): number {
    return this.#inner.size;
  }

  get shiftedSeq(): number {
    return this.#inner.shiftedSeq;
  }

  push(value: T, seq: number): void {
    this.#inner.push({ value, at: this.#clock.now() }, seq);
  }

  shift(): T {
    const e = this.#inner.shift();
    this.shiftedAt = e.at;
    return e.value;
  }

  evict(): T {
    const e = this.#inner.evict();
    this.shiftedAt = e.at;
    return e.value;
  }

  minSeq(): number {
    return this.#inner.minSeq();
  }

  forEachSeq(visit: (seq: number) => void): void {
    this.#inner.forEachSeq(visit);
  }
}
