import { BulkheadFullError } from "../errors/BulkheadFullError.js";
import { EventBus, type EventHandler } from "../events/EventBus.js";
import {
  func,
  knownKeys,
  nonEmptyString,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
} from "../options/validate.js";
import type { Admission, AdmissionOutcome } from "./Admission.js";
import { ChangeListeners } from "./ChangeListeners.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link bulkhead}.
 *
 * @example
 * ```ts
 * const db = bulkhead({ name: "db", limit: 8, weight: (batch: Row[]) => (batch.length > 1000 ? 4 : 1) });
 * ```
 */
export interface BulkheadOptions<I = unknown> {
  /** Name of the resource pool, in stats, events and errors. */
  readonly name: string;
  /** Units of the resource in use at once (across every stage and workflow sharing it). */
  readonly limit: number;
  /** Units an item takes; more than `limit` is cut to `limit` (the item then runs alone). @default 1 */
  readonly weight?: (item: I) => number;
}

/** Bulkhead defaults. */
export const bulkheadDefaults = Object.freeze({ weight: 1 });

/** Events of a {@link Bulkhead}. */
export interface BulkheadEvents {
  /** An item did not fit and waits for a release. */
  full: { readonly bulkhead: string; readonly inUse: number; readonly limit: number; readonly weight: number };
  /** The limit was changed at run time. */
  limit: { readonly bulkhead: string; readonly limit: number };
}

/** A snapshot of a {@link Bulkhead}'s counters. */
export interface BulkheadStats {
  readonly name: string;
  readonly limit: number;
  /** Units in use now. */
  readonly inUse: number;
  /** Most units in use at once. */
  readonly peakInUse: number;
  readonly admitted: number;
  /** Refusals (each one a caller waiting for a release). */
  readonly refused: number;
}

/**
 * A named resource pool as an {@link Admission}: at most `limit` units in use at once, each item
 * taking `weight(item)` units. Full, it returns `Infinity` and wakes waiters through `onChange`
 * on every release. Pass the same object to every stage and workflow task that uses the resource
 * (e.g. one `db` bulkhead for the whole process).
 *
 * Waiters are not queued here: whoever retries first after a release wins. A heavy item among
 * many light ones may wait long; give heavy work its own bulkhead or a priority queue upstream.
 */
export class Bulkhead<I = unknown> implements Admission<I> {
  readonly name: string;
  readonly #weight: ((item: I) => number) | undefined;
  readonly #listeners = new ChangeListeners();
  readonly #events = new EventBus<BulkheadEvents>();
  #limit: number;
  /** Units taken by admitted items not yet released; never above the limit at admission time. */
  #inUse = 0;
  /**
   * Weights taken by admitted items (only with a weight function), so a release gives back exactly what was
   * taken even if the limit changed.
   */
  readonly #held = new Map<I, number[]>();
  #peak = 0;
  #admitted = 0;
  #refused = 0;

  constructor(options: BulkheadOptions<I>) {
    const o = plainObject(options, "options", "bulkhead");
    const where = `bulkhead${typeof o.name === "string" ? ` "${o.name}"` : ""}`;
    knownKeys(o, optionKeys<BulkheadOptions<I>>()("name", "limit", "weight"), "", where);
    this.name = nonEmptyString(o.name, "name", where);
    this.#limit = positiveInt(o.limit, "limit", where);
    this.#weight = optional(o.weight, undefined, (v) => func<(item: I) => number>(v, "weight", where));
  }

  /** Units allowed at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Units in use now. */
  get inUse(): number {
    return this.#inUse;
  }

  tryAcquire(item: I, _now: number): number {
    const w = this.#weightOf(item);
    if (this.#inUse + w > this.#limit && this.#inUse > 0) {
      this.#refused++;
      if (this.#events.has("full"))
        this.#events.emit("full", { bulkhead: this.name, inUse: this.#inUse, limit: this.#limit, weight: w });
      return Infinity;
    }
    this.#inUse += w;
    if (this.#weight !== undefined) {
      const list = this.#held.get(item);
      if (list === undefined) this.#held.set(item, [w]);
      else list.push(w);
    }
    if (this.#inUse > this.#peak) this.#peak = this.#inUse;
    this.#admitted++;
    return 0;
  }

  release(item: I, outcome: AdmissionOutcome, _now: number): void {
    this.#inUse -= this.#takenBy(item);
    if (this.#inUse < 0) this.#inUse = 0;
    if (outcome.neutral === true) {
      this.#admitted--;
      return;
    }
    this.#listeners.notify();
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  refusal(item: I, _now: number): BulkheadFullError {
    return new BulkheadFullError(this.name, this.#limit, this.#weightOf(item));
  }

  /** Changes the limit at run time; items in use above a lowered limit finish normally. */
  setLimit(limit: number): void {
    this.#limit = positiveInt(limit, "limit", `bulkhead "${this.name}"`);
    this.#events.emit("limit", { bulkhead: this.name, limit });
    this.#listeners.notify();
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof BulkheadEvents>(type: K, handler: EventHandler<BulkheadEvents[K]>): () => void {
    return this.#events.on(type, handler);
  }

  /** A frozen snapshot of the counters. */
  stats(): BulkheadStats {
    return Object.freeze({
      name: this.name,
      limit: this.#limit,
      inUse: this.#inUse,
      peakInUse: this.#peak,
      admitted: this.#admitted,
      refused: this.#refused,
    });
  }

  /** The weight `item` was admitted with (1 without a weight function). */
  #takenBy(item: I): number {
    if (this.#weight === undefined) return bulkheadDefaults.weight;
    const list = this.#held.get(item);
    const w = list?.pop();
    if (list !== undefined && list.length === 0) this.#held.delete(item);
    return w ?? 0;
  }

  /** The item's weight: a positive number, at most the limit (so every item can run, alone if need be). */
  #weightOf(item: I): number {
    if (this.#weight === undefined) return bulkheadDefaults.weight;
    const w = positiveNumber(this.#weight(item), "weight(item)", `bulkhead "${this.name}"`);
    return w > this.#limit ? this.#limit : w;
  }
}

/**
 * Creates a {@link Bulkhead}: a named pool of `limit` units shared by whatever it is passed to.
 *
 * @example
 * ```ts
 * const db = bulkhead({ name: "db", limit: 8 });
 * pipeline("import").from(rows).to(insert, { bulkhead: db });
 * workflow("nightly").task("vacuum", { bulkhead: db }, vacuum);
 * ```
 */
export function bulkhead<I = unknown>(options: BulkheadOptions<I>): Bulkhead<I> {
  return new Bulkhead<I>(options);
}
