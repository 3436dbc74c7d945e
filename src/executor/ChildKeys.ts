/**
 * The keys of a keyed run's flatMap children (`ctx.key` of an item a flatMap made): its parent's
 * key, `/`, and its place among the parent's outputs, so nested flatMaps extend it
 * (`<runId>/3/0/2`). A child travels under an id of its own in place of a source index: the
 * source index it derives from plus a fraction (`p + slot / 2^20`), so every comparison of
 * indexes the run makes (its low watermark, what it holds, a batch's carrier) still sees the
 * source position (`Math.floor(id)`), and items that are not children keep their integer index
 * and key. Only runs with keys (a durable run, a dead-letter replay) make children; a run
 * without keys hands a flatMap's children on under their parent's index, as before.
 *
 * A source item's child (below position 2^19 − 1) carries its position in its id: nothing is
 * kept for it. Other children (nested flatMaps, later positions) have their key kept in a map
 * until they are done: when the map has grown past twice what it held after the last sweep, a
 * sweep (in a macrotask, never inside a fused loop) keeps the keys of the ids the run still holds
 * (`live`) and drops the rest.
 */
export class ChildKeys {
  /** Child id → key. */
  readonly #keys = new Map<number, string>();
  /** The key of an item that is not a child (its run-wide source index). */
  readonly #keyOf: (index: number) => string;
  /** Visits every id the run holds (a superset), for a sweep. */
  readonly #live: (visit: (index: number) => void) => void;
  /** The source index whose key {@link ChildKeys.keyOf} made last, and that key followed by `/`. */
  #lastBase = -1;
  #lastPrefix = "";
  /** The last slot given out. */
  #slot = 0;
  /** The map's size that triggers a sweep. */
  #limit = SWEEP_AT_LEAST;
  #sweepQueued = false;
  readonly #sweep = (): void => {
    this.#sweepQueued = false;
    this.sweep();
  };

  constructor(keyOf: (index: number) => string, live: (visit: (index: number) => void) => void) {
    this.#keyOf = keyOf;
    this.#live = live;
  }

  /** Children whose key is kept now (nested or late ones, live or not swept yet). */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * The id of output `position` of the flatMap item `parent` (a source index, or a child's id):
   * its key is the parent's followed by `/position`. A source item's child below position
   * 2^19 − 1 has its position in its id (no entry, no string until its key is asked for); a
   * child of a child, or a later one, gets a slot of its own and its key is kept.
   */
  child(parent: number, position: number): number {
    const base = Math.floor(parent);
    if (!(base < MAX_SOURCE_INDEX)) {
      throw new RangeError(`flatMap children of source index ${base}: keyed children need source indexes below 2^32`);
    }
    if (parent === base && position < DIRECT - 1) return base + (position + 1) * STEP;
    const keys = this.#keys;
    const key = `${this.keyOf(parent)}/${position}`;
    for (let tries = DIRECT; tries < SLOTS; tries++) {
      const slot = this.#slot < DIRECT || this.#slot === SLOTS - 1 ? DIRECT : this.#slot + 1;
      this.#slot = slot;
      const id = base + slot * STEP;
      if (keys.has(id)) continue;
      keys.set(id, key);
      if (keys.size > this.#limit && !this.#sweepQueued) {
        this.#sweepQueued = true;
        setImmediate(this.#sweep);
      }
      return id;
    }
    throw new RangeError(`flatMap children of source index ${base}: more than ${SLOTS - DIRECT} nested in flight`);
  }

  /** The key of the item with id `index`: a child's, or the source item's. */
  keyOf(index: number): string {
    if (index % 1 === 0) return this.#keyOf(index);
    const base = Math.floor(index);
    const slot = (index - base) * SLOTS;
    if (slot < DIRECT) {
      // a source item's children are mostly asked for one after another: its key is made once
      if (base !== this.#lastBase) {
        this.#lastBase = base;
        this.#lastPrefix = `${this.#keyOf(base)}/`;
      }
      return this.#lastPrefix + (slot - 1);
    }
    const key = this.#keys.get(index);
    if (key === undefined) throw new RangeError(`no key for flatMap child ${index} (it is done)`);
    return key;
  }

  /** Drops the keys of children the run no longer holds. */
  sweep(): void {
    const keys = this.#keys;
    if (keys.size === 0) return;
    const live = new Set<number>();
    this.#live((index) => {
      if (index % 1 !== 0) live.add(index);
    });
    for (const id of keys.keys()) if (!live.has(id)) keys.delete(id);
    this.#limit = Math.max(SWEEP_AT_LEAST, 2 * keys.size);
  }
}

/** The source index an item's id derives from (the id itself for an item that is not a child). */
export function sourceIndexOf(index: number): number {
  return Math.floor(index);
}

/** Values of the fraction: `slot / SLOTS`. */
const SLOTS = 2 ** 20;
/** Slots below this hold a source item's child's position (plus one); those above, kept keys. */
const DIRECT = 2 ** 19;
/** The fraction a slot adds: exact for source indexes below {@link MAX_SOURCE_INDEX}. */
const STEP = 1 / SLOTS;
/** Below 2^32, `p + slot / 2^20` is exact (a double's 52 fraction bits). */
const MAX_SOURCE_INDEX = 2 ** 32;
/** The map is not swept before it holds this many keys. */
const SWEEP_AT_LEAST = 4096;
