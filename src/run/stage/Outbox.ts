import type { ChildKeys } from "../../executor/ChildKeys.js";
import { microtask } from "../../time/microtask.js";
import type { Emitter } from "../emit/Emitter.js";
import { MANY, READY } from "./ReorderRing.js";
import type { RunScope } from "../RunScope.js";
import { minOf } from "../Step.js";

/**
 * Most items one buffer of the outbox holds. V8 allocates an array of more than about 16,000
 * elements as a large object, page by page, and grows it by allocating again: a push into one
 * costs 5–10× a push into a smaller one (a pool's burst of replies can settle 100,000 results of
 * `mapBatch` in one turn; see bench/README.md). So a burst fills buffers of this size, one after
 * another, and they are handed on in order.
 */
export const OUTBOX_SEGMENT = 4096;

/** Full buffers kept for the next burst (beyond them a burst's storage is let go). */
const SPARE_SEGMENTS = 4;

/** A full buffer set aside in a burst: values and their source indexes, the first `n` in use. */
interface Segment {
  readonly values: unknown[];
  readonly indexes: number[];
  readonly n: number;
}

/**
 * A stage runner's completed items waiting to be emitted, in emission order, with their source
 * indexes. Double-buffered: what is appended while a chunk waits for room below goes in the other
 * buffer. Flushed once per microtask turn, not item by item; `drained` is called whenever the
 * runner may start more work (a flush went out, or there was nothing to flush). The buffers keep
 * their storage from flush to flush (a count says how much of each is in use; a recycled buffer's
 * values are cleared, so nothing emitted is kept alive here). A buffer holds at most
 * {@link OUTBOX_SEGMENT} items: a burst sets full ones aside, and a flush hands them on one after
 * another (waiting for room below between them when it must) before the one being filled.
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
  #n = 0;
  #spareValues: unknown[] = [];
  #spareIndexes: number[] = [];
  /** Full buffers a burst set aside before the one being filled, in order (usually none). */
  #full: Segment[] = [];
  /** Storage for the next burst's buffers (made with room for {@link OUTBOX_SEGMENT}: no growth). */
  readonly #spareSegments: Segment[] = [];
  /** Indexes of the chunk handed to the emitter and not yet gone out (its first `#flushingCount`). */
  #flushingIndexes: number[] | undefined;
  #flushingCount = 0;
  /** A burst's buffers still to hand on after that chunk, from `#queuedAt`. */
  #queued: Segment[] | undefined;
  #queuedAt = 0;
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
    return this.#n + this.#full.length * OUTBOX_SEGMENT;
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

  /** Writes one item at the end, in place while the buffer's storage allows; a full buffer is set aside. */
  #put(value: unknown, index: number): void {
    const k = this.#n;
    const values = this.#values;
    if (k < values.length) {
      // its storage never exceeds OUTBOX_SEGMENT: in place means not full
      values[k] = value;
      this.#indexes[k] = index;
      this.#n = k + 1;
      return;
    }
    if (k === OUTBOX_SEGMENT) {
      this.#full.push({ values, indexes: this.#indexes, n: k });
      const spare = this.#spareSegments.pop();
      const next = spare?.values ?? new Array<unknown>(OUTBOX_SEGMENT);
      const nextIndexes = spare?.indexes ?? new Array<number>(OUTBOX_SEGMENT);
      next[0] = value;
      nextIndexes[0] = index;
      this.#values = next;
      this.#indexes = nextIndexes;
      this.#n = 1;
      return;
    }
    values.push(value);
    this.#indexes.push(index);
    this.#n = k + 1;
  }

  /** The smallest of `min` and the source indexes held here (appended, or flushing). */
  minIndex(min: number): number {
    min = Math.min(min, minOf(this.#indexes, this.#n));
    for (const s of this.#full) min = Math.min(min, minOf(s.indexes, s.n));
    const flushing = this.#flushingIndexes;
    if (flushing !== undefined) min = Math.min(min, minOf(flushing, this.#flushingCount));
    const queued = this.#queued;
    if (queued !== undefined)
      for (let k = this.#queuedAt; k < queued.length; k++) min = Math.min(min, minOf(queued[k]!.indexes, queued[k]!.n));
    return min;
  }

  /** Calls `visit` with the source index of every item in the outbox (filling and flushing). */
  forEachIndex(visit: (index: number) => void): void {
    const each = (indexes: number[], n: number): void => {
      for (let k = 0; k < n; k++) visit(indexes[k]!);
    };
    for (const s of this.#full) each(s.indexes, s.n);
    each(this.#indexes, this.#n);
    if (this.#flushingIndexes !== undefined) each(this.#flushingIndexes, this.#flushingCount);
    const queued = this.#queued;
    if (queued !== undefined)
      for (let k = this.#queuedAt; k < queued.length; k++) each(queued[k]!.indexes, queued[k]!.n);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.flushing || this.length === 0 || this.#ended()) {
      if (!this.flushing) this.#drained();
      return;
    }
    let values = this.#values;
    let indexes = this.#indexes;
    let n = this.#n;
    this.#values = this.#spareValues;
    this.#indexes = this.#spareIndexes;
    this.#n = 0;
    if (this.#full.length > 0) {
      // a burst: its full buffers go first, then the one that was being filled
      const queued = this.#full;
      this.#full = [];
      if (n > 0) queued.push({ values, indexes, n });
      ({ values, indexes, n } = queued[0]!);
      this.#queued = queued;
      this.#queuedAt = 1;
    }
    this.#send(values, indexes, n, false);
  }

  /**
   * Hands `values[0..n)` to the emitter, then what follows it in this flush (see
   * {@link Outbox.#next}). `waited`: a chunk of this flush had to wait for room below.
   */
  #send(values: unknown[], indexes: number[], n: number, waited: boolean): void {
    // held from the moment they left the outbox (a fused stage below may read the watermark)
    this.#flushingIndexes = indexes;
    this.#flushingCount = n;
    let wait: Promise<void> | undefined;
    try {
      wait = this.#emitter.emit(values, indexes, n);
    } catch (error) {
      this.#scope.fail(error);
      return;
    }
    if (wait === undefined) {
      this.#wentOut(values, indexes, n);
      this.#next(waited);
      return;
    }
    this.flushing = true;
    wait.then(
      () => {
        // an abort cuts a push short: what was not pushed stays held (never counted done)
        if (this.#scope.signal.aborted) return;
        this.#wentOut(values, indexes, n);
        this.#next(true);
      },
      (error: unknown) => this.#scope.fail(error),
    );
  }

  /** The chunk went out: hands on a burst's next buffer, or ends the flush (and flushes again what came meanwhile when it had waited). */
  #next(waited: boolean): void {
    const queued = this.#queued;
    if (queued !== undefined && this.#queuedAt < queued.length) {
      const { values, indexes, n } = queued[this.#queuedAt++]!;
      this.#send(values, indexes, n, waited);
      return;
    }
    this.#queued = undefined;
    this.#flushingIndexes = undefined;
    if (!waited) {
      this.#drained();
      return;
    }
    this.flushing = false;
    if (this.length > 0) this.#flush();
    else this.#drained();
  }

  /**
   * A chunk went out: its storage is kept, its `n` values cleared. The flush's last chunk becomes
   * the spare pair of the next swap (the one swapped in is in use now); a burst's full buffers
   * before it are kept for the next burst, while few are.
   */
  #wentOut(values: unknown[], indexes: number[], n: number): void {
    values.fill(undefined, 0, n);
    const queued = this.#queued;
    if (queued !== undefined && this.#queuedAt < queued.length) {
      if (this.#spareSegments.length < SPARE_SEGMENTS) this.#spareSegments.push({ values, indexes, n: 0 });
      return;
    }
    this.#spareValues = values;
    this.#spareIndexes = indexes;
  }
}
