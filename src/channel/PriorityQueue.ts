import { ScoredHeap } from "./ScoredHeap.js";

/**
 * A binary max-heap on `priority(item)`: higher first, first-in first-out among equal priorities
 * (ties are broken by arrival order, not by source index, so merged branches stay fair).
 * Non-finite priorities count as 0.
 */
export class PriorityQueue<T> extends ScoredHeap<T> {
  constructor(priority: (value: T) => number) {
    super(priority);
  }
}
