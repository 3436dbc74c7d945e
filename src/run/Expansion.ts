/**
 * A flatMap result being pulled lazily by a stage runner: its iterator, the item it came from
 * (for the error policy, if the iterator throws), and its place in the output order. At most one
 * `next()` of an async iterator is outstanding, so it is never read ahead of the outbox.
 */
export class Expansion {
  /** A `next()` of an async iterator is outstanding. */
  pulling = false;

  constructor(
    /** The result's iterator. */
    readonly iterator: Iterator<unknown> | AsyncIterator<unknown>,
    /** True for an AsyncIterable's iterator (`next()` returns a promise). */
    readonly isAsync: boolean,
    /** Arrival order of the item it came from. */
    readonly ord: number,
    /** Source index of that item (its children keep it). */
    readonly index: number,
    /** The item the stage function was given. */
    readonly item: unknown,
    /** Attempts it took to get the iterable. */
    readonly attempts: number,
  ) {}
}
