import { func, knownKeys, optional, plainObject, positiveNumber } from "../options/validate.js";
import { clockOption } from "../time/clockOption.js";
import { systemClock, type Clock } from "../time/Clock.js";
import { ScoredHeap } from "./ScoredHeap.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link AgingPriorityQueue}.
 *
 * @example
 * ```ts
 * new AgingPriorityQueue<Job>({ priority: (j) => j.priority, agingPerSecond: 1, clock })
 * ```
 */
export interface AgingPriorityQueueOptions<T> {
  /** Priority of an item when queued: higher first. Non-finite values count as 0. */
  readonly priority: (item: T) => number;
  /** How much an item's effective priority rises per second it waits. @default 1 */
  readonly agingPerSecond?: number;
  /** The clock waits are measured on. @default systemClock */
  readonly clock?: Clock;
}

/** Aging priority queue defaults. */
export const agingPriorityQueueDefaults = Object.freeze({ agingPerSecond: 1 });

/**
 * A priority queue whose items gain `agingPerSecond` priority per second of waiting, so a low
 * priority item is never starved: it is served before anything queued more than
 * `(pHigh − pLow) / agingPerSecond` seconds after it. Under a load that the consumer keeps up with
 * on average, its wait is therefore bounded by that delay plus the time to serve what was queued
 * before it. Every item ages at the same rate, so the order between two queued items never
 * changes: it is a plain binary heap on a score fixed at push time, O(log n), no re-sorting.
 * FIFO among equal effective priorities.
 */
export class AgingPriorityQueue<T> extends ScoredHeap<T> {
  readonly #perMs: number;
  readonly #clock: Clock;

  constructor(options: AgingPriorityQueueOptions<T>) {
    const where = "AgingPriorityQueue";
    const o = plainObject(options, "options", where);
    knownKeys(o, optionKeys<AgingPriorityQueueOptions<T>>()("priority", "agingPerSecond", "clock"), "", where);
    const priority = func<(item: T) => number>(o.priority, "priority", where);
    const perMs =
      optional(o.agingPerSecond, agingPriorityQueueDefaults.agingPerSecond, (v) =>
        positiveNumber(v, "agingPerSecond", where),
      ) / 1000;
    const clock = optional(o.clock, systemClock, (v) => clockOption(v, where));
    const origin = clock.now();
    // the effective priority at the queue's origin: priority − agingPerSecond × (queuedAt − origin) / 1000
    super((item) => {
      const p = priority(item);
      return (Number.isFinite(p) ? p : 0) - (clock.now() - origin) * perMs;
    });
    this.#perMs = perMs;
    this.#clock = clock;
  }

  /** The effective priority, now, of an item with `priority` queued at clock time `queuedAt`. */
  effectivePriority(priority: number, queuedAt: number): number {
    return priority + (this.#clock.now() - queuedAt) * this.#perMs;
  }
}
