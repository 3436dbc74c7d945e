import type { ReadTarget, SourceReader } from "./SourceReader.js";

/**
 * Reads a synchronous iterator (generators, Sets, Maps…) a chunk at a time. Its `next` method is
 * read once, as `for…of` reads it, and called on the iterator for each item. This one reader
 * serves every source of the process that no fused tail pulls: Sets, Maps and generators of many
 * functions (a generator function declared inside the function that builds a pipeline is a new
 * one, with objects of a new shape, at every run). A `next` looked up per item would make that
 * one lookup megamorphic; read once, the reader ran 0.85x the time per item for a new generator
 * function at each run and 1.07x for one module-level function (bench/README.md, "One
 * generated loop per pipeline").
 */
export class IteratorReader<T> implements SourceReader<T> {
  readonly #iterator: Iterator<T>;
  readonly #next: () => IteratorResult<T>;
  #done = false;
  #position = 0;

  constructor(iterable: Iterable<T>) {
    const it = iterable[Symbol.iterator]();
    this.#iterator = it;
    const next = (it as { next?: unknown }).next;
    // not a function: called as before, so the read fails with the language's own TypeError
    this.#next = typeof next === "function" ? (next as () => IteratorResult<T>) : () => it.next();
  }

  /** True once the source is exhausted. */
  get done(): boolean {
    return this.#done;
  }

  /** Items pulled so far (the source position). */
  get position(): number {
    return this.#position;
  }

  /** An error thrown after some items of a read: those are returned first, the error on the next read. */
  #error: { error: unknown } | undefined;

  /** Writes up to `max` items to `out[0..n)`; returns n (0 only at the end). */
  read(max: number, out: T[]): number {
    return this.readInto(max, new ChunkFill(out), 0);
  }

  /**
   * Pushes up to `max` items into `into`, item `k` with the seq `first + k`; returns how many (0
   * only at the end). Straight into a channel with room for them, with no array between: a source
   * with no fused stage after it feeding one channel (a pool stage's, most often).
   * {@link IteratorReader.read} fills a chunk array through it.
   */
  readInto(max: number, into: ReadTarget<T>, first: number): number {
    if (this.#error !== undefined) {
      this.#done = true;
      throw this.#error.error;
    }
    if (this.#done) return 0;
    const it = this.#iterator;
    const next = this.#next;
    let n = 0;
    try {
      while (n < max) {
        const r = next.call(it);
        if (r.done === true) {
          this.#done = true;
          break;
        }
        into.push(r.value, first + n);
        n++;
      }
    } catch (error) {
      if (n === 0) {
        this.#done = true;
        throw error;
      }
      this.#error = { error };
    } finally {
      this.#position += n;
    }
    return n;
  }

  /**
   * The iterator, for a fused tail that pulls it itself (`FusedTail.pull`) instead of calling
   * {@link IteratorReader.read}; it reports what it took with {@link IteratorReader.took}.
   */
  get iterator(): Iterator<T> {
    return this.#iterator;
  }

  /** `n` items were pulled from {@link IteratorReader.iterator} directly; `ended`: it ended or threw. */
  took(n: number, ended: boolean): void {
    this.#position += n;
    if (ended) this.#done = true;
  }

  /** Stops the source early, releasing what it holds. */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#iterator.return?.();
  }
}

/** A chunk array as what {@link IteratorReader.readInto} pushes into: item `k` at `out[k]`. */
class ChunkFill<T> implements ReadTarget<T> {
  readonly #out: T[];

  constructor(out: T[]) {
    this.#out = out;
  }

  push(value: T, k: number): void {
    this.#out[k] = value;
  }
}
