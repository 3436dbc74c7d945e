import type { SourceReader } from "./SourceReader.js";

/**
 * A reader over what a seekable source returned for an offset (`from((offset) => …)` in a resumed
 * durable run): its items are the source's from `offset` on, so its position counts from there.
 */
export class OffsetReader<T> implements SourceReader<T> {
  readonly #inner: SourceReader<T>;
  readonly #offset: number;

  constructor(inner: SourceReader<T>, offset: number) {
    this.#inner = inner;
    this.#offset = offset;
  }

  read(max: number, out: T[]): number | Promise<number> {
    return this.#inner.read(max, out);
  }

  get done(): boolean {
    return this.#inner.done;
  }

  get position(): number {
    return this.#offset + this.#inner.position;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
