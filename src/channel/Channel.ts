import type { ItemQueue } from "./ItemQueue.js";
import { microtask } from "../time/microtask.js";

/**
 * What a channel does when a producer pushes into it while it is full.
 * - `block` (default): the producer waits for space (backpressure reaches the source).
 * - `drop-newest`: the pushed item is dropped and counted.
 * - `drop-oldest`: the item that would be served last-but-first (the oldest; for a priority
 *   queue the lowest priority) is dropped and counted, and the new one is queued.
 */
export type OverflowPolicy = "block" | "drop-newest" | "drop-oldest";

/**
 * A bounded channel between two steps of a plan. Many producers (fan-in), one consumer.
 * It ends when every producer has closed it and it is empty.
 *
 * Producers check {@link Channel.hasSpace} and `await` {@link Channel.space} when it is full;
 * the consumer registers one callback with {@link Channel.onReadable}. No promise is made per
 * item: waits happen only at the boundary of full or empty. A producer that waited for space is
 * woken as soon as the channel has drained to half its capacity (at least one free place), not at
 * the first free place, so it refills half the channel in one go instead of one item per wake-up;
 * and at the latest on the next turn of the event loop once there is any space, so a consumer that
 * stopped taking items above that mark still finds the channel full again.
 */
export class Channel<T> {
  #capacity: number;
  readonly overflow: OverflowPolicy;
  readonly #queue: ItemQueue<T>;
  #openProducers: number;
  #dropped = 0;
  #readable: (() => void) | undefined;
  #spaceWaiters: (() => void)[] = [];
  /** Waiting producers are woken when the size drops to this (half the capacity; capacity - 1 at most). */
  #wakeAt: number;
  /** A wake-up of waiting producers is due on the next turn of the event loop. */
  #lateWake = false;
  readonly #wakeLate = (): void => {
    this.#lateWake = false;
    if (this.#spaceWaiters.length > 0 && this.hasSpace) this.#wakeProducers();
  };
  /** Items that were ever pushed (dropped ones excluded). */
  pushed = 0;
  /** Called with each item the overflow policy drops. */
  onDrop: ((value: T, seq: number) => void) | undefined;

  constructor(queue: ItemQueue<T>, capacity: number, producers: number, overflow: OverflowPolicy = "block") {
    this.#queue = queue;
    this.#capacity = capacity;
    this.#openProducers = producers;
    this.overflow = overflow;
    this.#wakeAt = wakeAt(capacity);
  }

  /** Items it holds at most (under `block`; the drop policies keep it at this). */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Changes the capacity (the consumer's call: a pool stage's channel follows its batch size).
   * Growing wakes waiting producers at once when the size is now at or under the new wake-up mark;
   * shrinking drops nothing: producers wait until the consumer has taken the channel under it.
   */
  resize(capacity: number): void {
    if (capacity === this.#capacity) return;
    this.#capacity = capacity;
    this.#wakeAt = wakeAt(capacity);
    if (this.#spaceWaiters.length > 0 && this.#queue.size <= this.#wakeAt) this.#wakeProducers();
  }

  /** Queued items. */
  get size(): number {
    return this.#queue.size;
  }

  /** Items dropped by the overflow policy. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once every producer closed it (items may still be queued). */
  get closed(): boolean {
    return this.#openProducers === 0;
  }

  /** True once closed and drained. */
  get ended(): boolean {
    return this.#openProducers === 0 && this.#queue.size === 0;
  }

  /** True when a push would not exceed capacity (always true under a drop policy). */
  get hasSpace(): boolean {
    return this.#queue.size < this.#capacity || this.overflow !== "block";
  }

  /**
   * Resolves at once if there is space; else once the consumer drained the channel to half its
   * capacity, or on the next turn of the event loop after it made any space (or once the channel
   * was closed for every producer).
   */
  space(): Promise<void> {
    if (this.hasSpace) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /**
   * Calls `wake` once, when {@link Channel.space} would resolve (the channel is full now): the
   * same wait with no promise of its own, for a caller that has one already.
   */
  onSpace(wake: () => void): void {
    this.#spaceWaiters.push(wake);
  }

  /**
   * Queues an item. Under `block` the caller must have checked {@link Channel.hasSpace}: pushing
   * into a full channel is a bug, and throws. Returns false when the item was dropped.
   */
  push(value: T, seq: number): boolean {
    const queue = this.#queue;
    if (queue.size >= this.#capacity) {
      if (this.overflow === "drop-newest") {
        this.#dropped++;
        this.onDrop?.(value, seq);
        return false;
      }
      if (this.overflow === "drop-oldest") {
        const evicted = queue.evict();
        this.#dropped++;
        this.onDrop?.(evicted, queue.shiftedSeq);
      } else {
        throw new Error(`internal: push into a full channel (capacity ${this.#capacity})`);
      }
    }
    queue.push(value, seq);
    this.pushed++;
    this.#notifyReadable();
    return true;
  }

  /** Removes the next item; its seq is then in {@link Channel.shiftedSeq}. Only when `size > 0`. */
  shift(): T {
    const value = this.#queue.shift();
    if (this.#spaceWaiters.length > 0) this.#tookSome();
    return value;
  }

  /**
   * Removes the next `n` items (at most `size`) into `into[0..n)`, as `n` calls of
   * {@link Channel.shift} would, and returns the first one's seq. Each one's seq is in
   * {@link Channel.runSeqs} unless they are consecutive (`first`, `first + 1`, …).
   */
  shiftRun(into: T[], n: number): number {
    const queue = this.#queue;
    let first: number;
    if (queue.shiftRun !== undefined) {
      first = queue.shiftRun(into, n);
      this.runSeqs = queue.runSeqs;
    } else {
      let each: number[] | undefined;
      into[0] = queue.shift();
      first = queue.shiftedSeq;
      for (let k = 1; k < n; k++) {
        into[k] = queue.shift();
        const seq = queue.shiftedSeq;
        if (each !== undefined) each[k] = seq;
        else if (seq !== first + k) {
          each = new Array<number>(n);
          for (let j = 0; j < k; j++) each[j] = first + j;
          each[k] = seq;
        }
      }
      this.runSeqs = each;
    }
    if (this.#spaceWaiters.length > 0) this.#tookSome();
    return first;
  }

  /** Each seq of the run {@link Channel.shiftRun} removed last, when they were not consecutive. */
  runSeqs: number[] | undefined;

  /** The smallest source index queued (Infinity when empty). */
  minSeq(): number {
    return this.#queue.minSeq();
  }

  /** Calls `visit` with every queued source index (any order). */
  forEachSeq(visit: (seq: number) => void): void {
    this.#queue.forEachSeq(visit);
  }

  /** Seq of the item last returned by {@link Channel.shift}. */
  get shiftedSeq(): number {
    return this.#queue.shiftedSeq;
  }

  /** When the item last returned by {@link Channel.shift} was queued (clock ms); -1 when the queue does not stamp. */
  get shiftedAt(): number {
    return this.#queue.shiftedAt ?? -1;
  }

  /** One producer is done. */
  close(): void {
    if (this.#openProducers > 0) this.#openProducers--;
    if (this.#openProducers === 0) this.#notifyReadable();
  }

  /** Closes for every producer at once and wakes everyone (used on abort). */
  closeAll(): void {
    this.#openProducers = 0;
    this.#notifyReadable();
    this.#wakeProducers();
  }

  /**
   * Registers the consumer's callback, called once when an item arrives or the channel ends.
   * Replaces any earlier registration.
   */
  onReadable(callback: () => void): void {
    if (this.#queue.size > 0 || this.#openProducers === 0) {
      microtask(callback);
      return;
    }
    this.#readable = callback;
  }

  /** Promise form of {@link Channel.onReadable}. */
  readable(): Promise<void> {
    return new Promise((resolve) => this.onReadable(resolve));
  }

  #notifyReadable(): void {
    const cb = this.#readable;
    if (cb !== undefined) {
      this.#readable = undefined;
      microtask(cb);
    }
  }

  /** Items were taken while producers wait: they wake at half the capacity, or on the next turn. */
  #tookSome(): void {
    if (this.#queue.size <= this.#wakeAt) this.#wakeProducers();
    else if (!this.#lateWake) {
      this.#lateWake = true;
      setImmediate(this.#wakeLate);
    }
  }

  #wakeProducers(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const w of waiters) w();
  }
}

/** The size at which waiting producers wake: half the capacity (capacity - 1 at most). */
function wakeAt(capacity: number): number {
  return capacity - Math.max(1, Math.floor(capacity / 2));
}
