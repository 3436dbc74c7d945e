import type { SourceReader } from "./SourceReader.js";

const notYet = Symbol("not yet");
const settledMark = (): true => true;
const ignore = (): void => {};

/**
 * Reads an async iterator. After the first item of a read it keeps taking items only while they
 * are already available (the next `next()` settles within a few microtasks, as with a buffered
 * stream), so a buffered source is read in chunks and a slow one adds no waiting. At most one
 * `next()` call is outstanding: the source is never pulled further ahead than one item.
 *
 * Closing never waits on an outstanding `next()`: with a `cancel` (a stream's cancel or destroy)
 * the read is interrupted; without one (an async generator busy awaiting I/O, which cannot be
 * interrupted) `return()` is requested and takes effect when that `next()` settles. A read that
 * was under way when the reader closed gives up its items: they were never handed on, and do not
 * count in {@link AsyncIteratorReader.position}.
 */
export class AsyncIteratorReader<T> implements SourceReader<T> {
  readonly #iterator: AsyncIterator<T>;
  readonly #cancel: (() => unknown) | undefined;
  #done = false;
  #closed = false;
  #position = 0;
  /** The outstanding `next()`, if any: the one a read awaits, or one an earlier read left running. */
  #pending: Promise<IteratorResult<T>> | undefined;

  /**
   * @param iterator - what to read
   * @param cancel - interrupts an outstanding `next()` and releases the source (a stream's
   *   `cancel()` or `destroy()`); without it, closing calls the iterator's `return()`
   */
  constructor(iterator: AsyncIterator<T>, cancel?: () => unknown) {
    this.#iterator = iterator;
    this.#cancel = cancel;
  }

  /** True once the source is exhausted. */
  get done(): boolean {
    return this.#done;
  }

  /** Items pulled so far (the source position). */
  get position(): number {
    return this.#position;
  }

  /** Writes up to `max` items to `out[0..n)`; returns `n` (0 only at the end). */
  async read(max: number, out: T[]): Promise<number> {
    if (this.#done) return 0;
    let n = 0;
    let next = this.#pending ?? this.#iterator.next();
    this.#pending = next;
    for (;;) {
      let r: IteratorResult<T>;
      try {
        r = await next;
      } catch (error) {
        if (this.#closed) return this.#abandon(n);
        if (n === 0) {
          this.#pending = undefined;
          this.#done = true;
          throw error;
        }
        // return what was read; the error surfaces on the next read (#pending still rejects)
        break;
      }
      if (this.#closed) return this.#abandon(n);
      this.#pending = undefined;
      if (r.done === true) {
        this.#done = true;
        break;
      }
      out[n++] = r.value;
      this.#position++;
      if (n >= max) break;
      next = this.#iterator.next();
      this.#pending = next;
      const ready = await Promise.race([next.then(settledMark, settledMark), afterMicrotasks()]);
      if (this.#closed) return this.#abandon(n);
      if (ready === notYet) break;
    }
    return n;
  }

  /** The reader closed while this read was under way: its items are not handed on. */
  #abandon(n: number): number {
    this.#position -= n;
    return 0;
  }

  /** Stops the source early, releasing what it holds. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.catch(ignore);
    const exhausted = this.#done && pending === undefined;
    this.#done = true;
    if (exhausted) return;
    if (this.#cancel !== undefined) {
      await this.#cancel();
      return;
    }
    const returned = this.#iterator.return?.();
    if (returned === undefined) return;
    if (pending !== undefined) {
      // an async generator runs return() after its pending next() settles: do not wait for that
      returned.catch(ignore);
      return;
    }
    await returned;
  }
}

/** Resolves after a few microtask turns: long enough for an already-buffered item to arrive. */
async function afterMicrotasks(): Promise<typeof notYet> {
  for (let i = 0; i < 4; i++) await Promise.resolve();
  return notYet;
}
