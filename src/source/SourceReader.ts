/**
 * Pulls items from a source on demand, never ahead of what is asked: the engine asks for as many
 * items as the channels below have room for.
 *
 * Implementations: {@link ArrayReader}, {@link IteratorReader}, {@link AsyncIteratorReader};
 * `openSource` picks one.
 */
export interface SourceReader<T> {
  /**
   * Appends up to `max` items to `out` and returns how many. Synchronous sources return a number;
   * asynchronous ones a promise. Returns 0 only at the end, after which {@link SourceReader.done}
   * is true.
   */
  read(max: number, out: T[]): number | Promise<number>;
  /** True once the source is exhausted. */
  readonly done: boolean;
  /**
   * Items pulled so far: the source position. Item `i` (0-based) of the source is the one with
   * index `i` in stage contexts, errors and dead letters; a resumed run skips `position` items.
   */
  readonly position: number;
  /** Stops the source early (calls the iterator's `return`), releasing what it holds. */
  close(): Promise<void>;
}
