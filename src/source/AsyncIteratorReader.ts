import type { SourceReader } from "./SourceReader.js";

const notYet = Symbol("not yet");

/**
 * Reads an async iterator. After the first item of a read it keeps taking items only while they
 * are already available (the next `next()` settles within a few microtasks, as with a buffered
 * stream), so a buffered source is read in chunks and a slow one adds no waiting. At most one
 * `next()` call is outstanding: the source is never pulled further ahead than one item.
 */
export class AsyncIteratorReader<T> implements SourceReader<T> {
  readonly #iterator: AsyncIterator<T>;
  #done = false;
  #position = 0;
  /** A `next()` started by an earlier read that had not settled when that read returned. */
  #pending: Promise<IteratorResult<T>> | undefined;

  constructor(iterable: AsyncIterable<T>) {
    this.#iterator = iterable[Symbol.asyncIterator]();
  }

  get done(): boolean {
    return this.#done;
  }

  get position(): number {
    return this.#position;
  }

  async read(max: number, out: T[]): Promise<number> {
    if (this.#done) return 0;
    let n = 0;
    let next = this.#pending ?? this.#iterator.next();
    this.#pending = undefined;
    for (;;) {
      let r: IteratorResult<T>;
      try {
        r = await next;
      } catch (error) {
        this.#done = true;
        if (n === 0) throw error;
        // return what was read; the error surfaces on the next read
        this.#pending = Promise.reject(error);
        this.#pending.catch(() => undefined);
        this.#done = false;
        break;
      }
      if (r.done === true) {
        this.#done = true;
        break;
      }
      out.push(r.value);
      n++;
      this.#position++;
      if (n >= max) break;
      next = this.#iterator.next();
      const ready = await Promise.race([next, afterMicrotasks()]);
      if (ready === notYet) {
        this.#pending = next;
        break;
      }
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) await pending.catch(() => undefined);
    await this.#iterator.return?.();
  }
}

/** Resolves after a few microtask turns: long enough for an already-buffered item to arrive. */
async function afterMicrotasks(): Promise<typeof notYet> {
  for (let i = 0; i < 4; i++) await Promise.resolve();
  return notYet;
}
