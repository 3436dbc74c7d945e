/** One step of a running plan: a head (source, channel reader, stage runner or batcher) and its emitter. */
export interface Step {
  /** Runs the step to its end; rejects only with the error that fails the run. */
  run(): Promise<void>;
  /**
   * The smallest source index this step holds outside channels (in flight, in a reorder window,
   * in a batch, or in a chunk waiting for room below); Infinity when none.
   */
  minIndex(): number;
  /**
   * Calls `visit` with every source index this step holds outside channels (any order, repeats
   * allowed): a superset of what it holds, never less. What a durable checkpoint's done ranges leave out.
   */
  forEachHeld(visit: (index: number) => void): void;
  /**
   * Calls `visit` with the ids of items the step's emitter has not handed on yet (a fused tail's
   * output, the flatMap items it is expanding), stale ones allowed: what the keys of a run's
   * flatMap children are kept for (see `ChildKeys`). Not what a checkpoint reads.
   */
  forEachPending?(visit: (index: number) => void): void;
  /**
   * How many items the step holds outside channels now (in flight, in a reorder window or an
   * outbox, in a batch, or handed to its emitter and not yet gone out): what an abort would cut
   * short there.
   */
  held(): number;
}

/** The smallest of `indexes[0..n)` (Infinity when n is 0). */
export function minOf(indexes: ArrayLike<number>, n: number): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) if (indexes[i]! < min) min = indexes[i]!;
  return min;
}

/** Source items are pulled, and items passed along, in chunks of at most this many. */
export const CHUNK = 1024;

/** A step whose every await completed synchronously yields to the event loop this often (in chunks). */
export const YIELD_EVERY = 32;

/** Lets timers, I/O and abort handlers run. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
