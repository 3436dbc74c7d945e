/**
 * A flatMap result being pulled lazily by a stage runner: its iterator, the item it came from
 * (for the error policy, if the iterator throws), and its place in the output order. At most one
 * `next()` of an async iterator is outstanding, so it is never read ahead of the outbox.
 */
export class Expansion {
  /** A `next()` of an async iterator is outstanding. */
  pulling = false;
  /** Items pulled so far (the next one's position among the item's children). */
  pulled = 0;

  constructor(
    /** The result's iterator. */
    readonly iterator: Iterator<unknown> | AsyncIterator<unknown>,
    /** True for an AsyncIterable's iterator (`next()` returns a promise). */
    readonly isAsync: boolean,
    /** Arrival number of the item it came from. */
    readonly arrival: number,
    /** Source index (or id) of that item; its children keep it, or get ids of their own in a keyed run. */
    readonly index: number,
    /** The item the stage function was given. */
    readonly item: unknown,
    /** Attempts it took to get the iterable. */
    readonly attempts: number,
  ) {}
}

/**
 * What a flatMap result yields: an array as is (to go out at once), the iterator of any other
 * Iterable or AsyncIterable (to be pulled lazily), or an array-like copied as `Array.from` would.
 * Throws what reading the result throws.
 */
export function expansionOf(
  value: unknown,
): unknown[] | { readonly iterator: Iterator<unknown> | AsyncIterator<unknown>; readonly isAsync: boolean } {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object" && Symbol.asyncIterator in value)
    return { iterator: (value as AsyncIterable<unknown>)[Symbol.asyncIterator](), isAsync: true };
  if (value !== null && value !== undefined && typeof (value as Iterable<unknown>)[Symbol.iterator] === "function")
    return { iterator: (value as Iterable<unknown>)[Symbol.iterator](), isAsync: false };
  return Array.from(value as ArrayLike<unknown>);
}
