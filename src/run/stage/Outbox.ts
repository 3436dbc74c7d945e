import type { ChildKeys } from "../../executor/ChildKeys.js";
import { microtask } from "../../time/microtask.js";
import type { Emitter } from "../emit/Emitter.js";
import { MANY, READY } from "./ReorderRing.js";
import type { RunScope } from "../RunScope.js";
import { minOf } from "../Step.js";

/**
 * A stage runner's completed items waiting to be emitted, in emission order, with their source
 * indexes. Double-buffered: what is appended while a chunk waits for room below goes in the other
 * buffer. Flushed once per microtask turn, not item by item; `drained` is called whenever the
 * runner may start more work (a flush went out, or there was nothing to flush). The buffers keep
 * their storage from flush to flush (a count says how much of each is in use; a recycled buffer's
 * values are cleared, so nothing emitted is kept alive here).
 */
export class Outbox {
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #ended: () => boolean;
  readonly #drained: () => void;
  /** A flatMap of a keyed run: each item of a {@link MANY} outcome goes on under a child id of its own. */
  readonly #children: ChildKeys | undefined;
  #values: unknown[] = [];
  #indexes: number[] = [];
  /** Items in use in `#values` and `#indexes`. */
  #count = 0;
  #spareValues: unknown[] = [];
  #spareIndexes: number[] = [];
  /** Indexes of the chunk handed to the emitter and not yet gone out (its first `#flushingCount`). */
  #flushingIndexes: number[] | undefined;
  #flushingCount = 0;
  #flushScheduled = false;
  /** A chunk waits for room below. */
  flushing = false;
  readonly #flushCallback = (): void => this.#flush();

  constructor(emitter: Emitter, scope: RunScope, ended: () => boolean, drained: () => void, children?: ChildKeys) {
    this.#children = children;
    this.#emitter = emitter;
    this.#scope = scope;
    this.#ended = ended;
    this.#drained = drained;
  }

  /** Items appended and not yet handed to the emitter. */
  get length(): number {
    return this.#count;
  }

  /**
   * Appends an outcome ({@link READY}: one value; {@link MANY}: an array, a flatMap's children;
   * anything else: nothing).
   */
  append(state: number, value: unknown, index: number): void {
    if (state === READY) this.#put(value, index);
    else if (state === MANY) {
      const children = this.#children;
      let position = 0;
      for (const v of value as unknown[])
        this.#put(v, children === undefined ? index : children.child(index, position++));
    } else return;
    this.#scheduleFlush();
  }

  /** Appends one value (a {@link READY} outcome). */
  appendValue(value: unknown, index: number): void {
    this.#put(value, index);
    this.#scheduleFlush();
  }

  /** Flushes at the end of this microtask turn (once, however many items are appended meanwhile). */
  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      microtask(this.#flushCallback);
    }
  }

  /** Writes one item at the end, in place while the buffer's storage allows. */
  #put(value: unknown, index: number): void {
    const k = this.#count++;
    if (k < this.#values.length) {
      this.#values[k] = value;
      this.#indexes[k] = index;
    } else {
      this.#values.push(value);
      this.#indexes.push(index);
    }
  }

  /** The smallest of `min` and the source indexes held here (appended, or flushing). */
  minIndex(min: number): number {
    min = Math.min(min, minOf(this.#indexes, this.#count));
    const flushing = this.#flushingIndexes;
    if (flushing !== undefined) min = Math.min(min, minOf(flushing, this.#flushingCount));
    return min;
  }

  /** Calls `visit` with the source index of every item in the outbox (filling and flushing). */
  forEachIndex(visit: (index: number) => void): void {
    const indexes = this.#indexes;
    for (let k = 0; k < this.#count; k++) visit(indexes[k]!);
    const flushing = this.#flushingIndexes;
    if (flushing !== undefined) for (let k = 0; k < this.#flushingCount; k++) visit(flushing[k]!);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.flushing || this.#count === 0 || this.#ended()) {
      if (!this.flushing) this.#drained();
      return;
    }
    const values = this.#values;
    const indexes = this.#indexes;
    const n = this.#count;
    this.#values = this.#spareValues;
    this.#indexes = this.#spareIndexes;
    this.#count = 0;
    let wait: Promise<void> | undefined;
    // held from the moment they left the outbox (a fused stage below may read the watermark)
    this.#flushingIndexes = indexes;
    this.#flushingCount = n;
    try {
      wait = this.#emitter.emit(values, indexes, n);
    } catch (error) {
      this.#scope.fail(error);
      return;
    }
    if (wait === undefined) {
      this.#flushingIndexes = undefined;
      this.#recycle(values, indexes, n);
      this.#drained();
      return;
    }
    this.flushing = true;
    wait.then(
      () => {
        // an abort cuts a push short: what was not pushed stays held (never counted done)
        if (this.#scope.signal.aborted) return;
        this.flushing = false;
        this.#flushingIndexes = undefined;
        this.#recycle(values, indexes, n);
        if (this.#count > 0) this.#flush();
        else this.#drained();
      },
      (error: unknown) => this.#scope.fail(error),
    );
  }

  /** Keeps a flushed buffer pair for the next swap (storage kept, its `n` values cleared). */
  #recycle(values: unknown[], indexes: number[], n: number): void {
    values.fill(undefined, 0, n);
    this.#spareValues = values;
    this.#spareIndexes = indexes;
  }
}
