import { func, knownKeys, optional, plainObject, positiveInt } from "../options/validate.js";
import { Deque } from "./Deque.js";
import type { ItemQueue } from "./ItemQueue.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link FairQueue}.
 *
 * @example
 * ```ts
 * new FairQueue<Job>({ key: (job) => job.tenant, weight: (tenant) => (tenant === "gold" ? 3 : 1) })
 * ```
 */
export interface FairQueueOptions<T> {
  /** The key (tenant, host, user) an item is queued under. */
  readonly key: (item: T) => string | number;
  /** Items a key is served per turn, read when the key first queues (a positive integer). @default 1 */
  readonly weight?: (key: string | number) => number;
}

/** One key's items and its place in the rotation. */
interface Lane<T> {
  readonly key: string | number;
  readonly items: Deque<T>;
  readonly weight: number;
  /** Items it may still be served this turn. */
  credit: number;
  /** Emptied by `evict` while still in the rotation: skipped and dropped when reached. */
  dead: boolean;
}

/**
 * Weighted round robin across keys, first-in first-out within a key: each key with queued items
 * is served `weight(key)` items per turn, so a key with 1,000 queued items cannot starve a key
 * with 10 (the small one waits at most one turn of every other key per item). Push, shift: O(1).
 * Evict (for `drop-oldest`) drops the newest item of the key holding the most items per unit of
 * weight: the noisy key pays for the overflow. Memory is per queued item plus one lane per key
 * with items; a key's lane is dropped when it empties.
 */
export class FairQueue<T> implements ItemQueue<T> {
  readonly #key: (item: T) => string | number;
  readonly #weight: ((key: string | number) => number) | undefined;
  /** Lanes with items, by key. */
  readonly #lanes = new Map<string | number, Lane<T>>();
  /** The rotation: the head lane is being served. Holds each live lane once (and maybe dead ones). */
  readonly #rotation = new Deque<Lane<T>>();
  #size = 0;
  shiftedSeq = -1;

  constructor(options: FairQueueOptions<T>) {
    const where = "FairQueue";
    const o = plainObject(options, "options", where);
    knownKeys(o, optionKeys<FairQueueOptions<T>>()("key", "weight"), "", where);
    this.#key = func<(item: T) => string | number>(o.key, "key", where);
    this.#weight = optional(o.weight, undefined, (v) => func<(key: string | number) => number>(v, "weight", where));
  }

  get size(): number {
    return this.#size;
  }

  /** Keys with queued items. */
  get keys(): number {
    return this.#lanes.size;
  }

  push(value: T, seq: number): void {
    const key = this.#key(value);
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      const weight = this.#weight === undefined ? 1 : positiveInt(this.#weight(key), "weight(key)", "FairQueue");
      lane = { key, items: new Deque<T>(), weight, credit: weight, dead: false };
      this.#lanes.set(key, lane);
      this.#rotation.push(lane, 0);
    }
    lane.items.push(value, seq);
    this.#size++;
  }

  shift(): T {
    const lane = this.#current();
    const value = lane.items.shift();
    this.shiftedSeq = lane.items.shiftedSeq;
    this.#size--;
    lane.credit--;
    if (lane.items.size === 0) {
      this.#rotation.shift();
      this.#lanes.delete(lane.key);
    } else if (lane.credit === 0) {
      lane.credit = lane.weight;
      this.#rotation.push(this.#rotation.shift(), 0);
    }
    return value;
  }

  minSeq(): number {
    let min = Infinity;
    for (const lane of this.#lanes.values()) {
      const s = lane.items.minSeq();
      if (s < min) min = s;
    }
    return min;
  }

  forEachSeq(visit: (seq: number) => void): void {
    for (const lane of this.#lanes.values()) lane.items.forEachSeq(visit);
  }

  evict(): T {
    let worst: Lane<T> | undefined;
    for (const lane of this.#lanes.values()) {
      // Ties go to the key that queued last (it is further back in the rotation).
      if (worst === undefined || lane.items.size / lane.weight >= worst.items.size / worst.weight) worst = lane;
    }
    const lane = worst!;
    const value = lane.items.pop();
    this.shiftedSeq = lane.items.shiftedSeq;
    this.#size--;
    if (lane.items.size === 0) {
      lane.dead = true;
      this.#lanes.delete(lane.key);
    }
    return value;
  }

  /** The lane being served, past any lane emptied by evict. Only when `size > 0`. */
  #current(): Lane<T> {
    let lane = this.#rotation.first();
    while (lane.dead) {
      this.#rotation.shift();
      lane = this.#rotation.first();
    }
    return lane;
  }
}
