/** What a ring entry (or an outbox append) holds: nothing yet. */
export const EMPTY = 0;
/** One value to emit. */
export const READY = 1;
/** Nothing to emit (filtered out, a sink's result, a failure): the item only frees its place. */
export const DROPPED = 2;
/** An array of values to emit (a flatMap's array result). */
export const MANY = 3;
/** A flatMap's iterable ({@link Expansion}), to be pulled when its turn in the output order comes. */
export const EXPAND = 4;

/** One of {@link EMPTY}, {@link READY}, {@link DROPPED}, {@link MANY}, {@link EXPAND}. */
export type RingState = 0 | 1 | 2 | 3 | 4;

/**
 * The reorder window of an ordered stage: completed items wait here, by arrival number, until
 * every earlier item is done. A power-of-two ring (arrival number & mask), sized to hold the
 * stage's reorder limit; each entry keeps its state, value and source index.
 */
export class ReorderRing {
  readonly #mask: number;
  readonly #values: unknown[];
  readonly #indexes: Float64Array;
  readonly #states: Uint8Array;

  /** A ring of at least `capacity` entries (2 when `capacity` is 0, for an unordered stage). */
  constructor(capacity: number) {
    let size = 2;
    while (size < capacity) size *= 2;
    this.#mask = size - 1;
    this.#values = new Array<unknown>(size);
    this.#indexes = new Float64Array(size);
    this.#states = new Uint8Array(size);
  }

  /** Parks the outcome of arrival `arrival` until its turn. */
  put(arrival: number, state: RingState, value: unknown, index: number): void {
    const i = arrival & this.#mask;
    this.#states[i] = state;
    this.#values[i] = value;
    this.#indexes[i] = index;
  }

  /** The state parked for arrival `arrival` ({@link EMPTY} when none). */
  stateAt(arrival: number): RingState {
    return this.#states[arrival & this.#mask]! as RingState;
  }

  /** The source index parked for arrival `arrival`. */
  indexAt(arrival: number): number {
    return this.#indexes[arrival & this.#mask]!;
  }

  /** Takes the value parked for arrival `arrival`, emptying its entry. */
  take(arrival: number): unknown {
    const i = arrival & this.#mask;
    const value = this.#values[i];
    this.#states[i] = EMPTY;
    this.#values[i] = undefined;
    return value;
  }

  /** The smallest of `min` and the source indexes parked in the ring. */
  minIndex(min: number): number {
    const states = this.#states;
    const indexes = this.#indexes;
    for (let i = 0; i < states.length; i++) if (states[i] !== EMPTY && indexes[i]! < min) min = indexes[i]!;
    return min;
  }

  /** Calls `visit` with the source index of every item parked in the ring. */
  forEachIndex(visit: (index: number) => void): void {
    const states = this.#states;
    const indexes = this.#indexes;
    for (let i = 0; i < states.length; i++) if (states[i] !== EMPTY) visit(indexes[i]!);
  }

  /** Items parked in the ring (an array counts its length; an expansion counts where it is in flight). */
  held(): number {
    let n = 0;
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      if (state === READY) n++;
      else if (state === MANY) n += (this.#values[i] as unknown[]).length;
    }
    return n;
  }
}
