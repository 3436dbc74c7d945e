import type { SourceReader } from "../../source/SourceReader.js";
import type { RangeSet } from "../../store/RangeSet.js";

/**
 * A resumed durable run's source: reads like `inner`, and names the positions done before the run
 * stopped ({@link SourceReader.skip}) so that the source step does not hand them on again.
 */
export class SkippingReader<T> implements SourceReader<T> {
  readonly #inner: SourceReader<T>;
  readonly skip: RangeSet;

  constructor(inner: SourceReader<T>, skip: RangeSet) {
    this.#inner = inner;
    this.skip = skip;
  }

  read(max: number, out: T[]): number | Promise<number> {
    return this.#inner.read(max, out);
  }

  get done(): boolean {
    return this.#inner.done;
  }

  get position(): number {
    return this.#inner.position;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
