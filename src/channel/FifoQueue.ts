import { Deque } from "./Deque.js";
import type { ItemQueue } from "./ItemQueue.js";

/** A channel's arrival-order queue: a {@link Deque} (O(1) push and shift, no per-item allocation). */
export class FifoQueue<T> extends Deque<T> implements ItemQueue<T> {
  constructor(initialCapacity = 16) {
    super(Math.max(16, initialCapacity));
  }

  /** In arrival order the item served last is the newest; `drop-oldest` wants the oldest: the head. */
  evict(): T {
    return this.shift();
  }
}
