/**
 * The queue inside a channel: items with the source index (`seq`) they derive from. Two values
 * per entry instead of an envelope object, so a queued item costs no allocation.
 *
 * Implementations: `FifoQueue` (arrival order) and `PriorityQueue` (higher priority
 * first, arrival order among equals). All pass `test/channel/queue-conformance.test.ts`.
 */
export interface ItemQueue<T> {
  /** Number of queued items. */
  readonly size: number;
  /** Adds an item. The channel enforces capacity; the queue itself only grows. */
  push(value: T, seq: number): void;
  /** Removes and returns the next item; its seq is then in {@link ItemQueue.shiftedSeq}. Undefined behaviour when empty. */
  shift(): T;
  /**
   * Removes the next `n` (at most `size`) into `into[0..n)`, as `n` calls of `shift` would, and
   * returns the first one's seq; each one's in `runSeqs` unless they are consecutive. Optional: a
   * queue that serves items in their arrival order has it.
   */
  shiftRun?(into: T[], n: number): number;
  /** Set by {@link ItemQueue.shiftRun}. */
  readonly runSeqs?: number[] | undefined;
  /** Removes and returns the item that would be served last (for `drop-oldest` it is the oldest in FIFO; for priority, the lowest). */
  evict(): T;
  /** The smallest seq queued (Infinity when empty). O(size): for watermarks, not the hot path. */
  minSeq(): number;
  /** Calls `visit` with every queued seq (any order). O(size): for durable checkpoints, not the hot path. */
  forEachSeq(visit: (seq: number) => void): void;
  /** The seq of the item most recently returned by `shift` or `evict`. */
  readonly shiftedSeq: number;
  /**
   * When the item most recently returned by `shift` or `evict` was pushed (clock ms), for a queue
   * that stamps its items (`StampedQueue`); absent otherwise.
   */
  readonly shiftedAt?: number;
}
