/**
 * Pulls items from a source on demand, never ahead of what is asked: the engine asks for as many
 * items as the channels below have room for.
 *
 * Implementations: {@link ArrayReader}, {@link IteratorReader}, {@link AsyncIteratorReader} (async
 * iterables, web streams through their reader, Node Readables); `openSource` picks one.
 */
export interface SourceReader<T> {
  /**
   * Writes up to `max` items to `out[0..n)` and returns n (entries of `out` from n on are left
   * as they were: the caller reuses one buffer, whose backing store then never shrinks and grows
   * again). Synchronous sources return a number; asynchronous ones a promise. Returns 0 only at
   * the end, after which {@link SourceReader.done} is true.
   */
  read(max: number, out: T[]): number | Promise<number>;
  /**
   * {@link SourceReader.read} straight into a channel with room for `max` items, item `k` with
   * the seq `first + k`: no array between them. Returns how many. Optional: a synchronous source
   * has it.
   */
  readInto?(max: number, into: ReadTarget<T>, first: number): number;
  /** True once the source is exhausted. */
  readonly done: boolean;
  /**
   * Items pulled so far: the source position. Item `i` (0-based) of the source is the one with
   * index `i` in stage contexts, errors and dead letters; a resumed run skips `position` items.
   */
  readonly position: number;
  /**
   * Positions to pass over (a resumed durable run's items that were done before it stopped): read
   * and counted in {@link SourceReader.position}, never handed on. Absent: none.
   */
  readonly skip?: { has(position: number): boolean } | undefined;
  /**
   * Stops the source early, releasing what it holds: cancels a web stream, destroys a Node
   * Readable, calls an iterator's `return()`. Never waits on a read in progress (that read then
   * yields nothing); an async generator busy awaiting finishes closing when that await settles.
   */
  close(): Promise<void>;
}

/** What {@link SourceReader.readInto} pushes into: a channel (each item with its source index). */
export interface ReadTarget<T> {
  push(value: T, seq: number): unknown;
}
