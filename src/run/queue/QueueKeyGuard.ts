import type { ErrorPolicy } from "../../stage/StageKind.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import { itemFailed } from "../stage/itemFailed.js";
import type { RunScope } from "../RunScope.js";

/**
 * Calls a stage's queue-ordering function (`priority(item)`, `fairBy(item)`) where an item is
 * about to enter the stage's channel, so that a function that throws, or returns what the queue
 * cannot order by, fails that one item under the stage's `onError` (under `"fail"`: a
 * `StageError` naming the stage and the item's source index) instead of throwing out of the queue
 * in the middle of another step. The queue then reads the value already checked, through
 * {@link QueueKeyGuard.forQueue}: the user's function runs once per item.
 */
export class QueueKeyGuard<K> {
  readonly #fn: (item: unknown) => K;
  readonly #check: (value: unknown) => value is K;
  readonly #expected: string;
  readonly #option: string;
  readonly #counters: StageCounters;
  readonly #onError: ErrorPolicy;
  readonly #scope: RunScope;
  /** The checked key of the item being pushed (valid while `#armed`). */
  #key: K | undefined;
  #armed = false;

  /**
   * @param option - the option's name, for the error (`priority`, `fairBy`)
   * @param fn - the user's function
   * @param check - accepts the values the queue can order by
   * @param expected - what `check` accepts, in words
   */
  constructor(
    option: string,
    fn: (item: unknown) => K,
    check: (value: unknown) => value is K,
    expected: string,
    counters: StageCounters,
    onError: ErrorPolicy,
    scope: RunScope,
  ) {
    this.#option = option;
    this.#fn = fn;
    this.#check = check;
    this.#expected = expected;
    this.#counters = counters;
    this.#onError = onError;
    this.#scope = scope;
  }

  /** The function the queue calls: the key checked by {@link QueueKeyGuard.admit} for this push. */
  readonly forQueue = (item: unknown): K => {
    if (this.#armed) {
      this.#armed = false;
      return this.#key as K;
    }
    return this.#fn(item);
  };

  /**
   * Computes and checks the key of `item` (source index `index`), right before it is pushed. False
   * when the item failed and was skipped or dead-lettered; throws the StageError under `"fail"`.
   */
  admit(item: unknown, index: number): boolean {
    let key: unknown;
    try {
      key = this.#fn(item);
      if (!this.#check(key)) {
        throw new TypeError(`${this.#option}(item) returned ${describe(key)}; expected ${this.#expected}`);
      }
    } catch (error) {
      const c = this.#counters;
      c.in++;
      c.failed(error);
      itemFailed(this.#scope, c, this.#onError, item, index, error, 1);
      return false;
    }
    this.#key = key;
    this.#armed = true;
    return true;
  }

  /** After the push: a push that dropped the item (overflow) never read the key. */
  pushed(): void {
    this.#armed = false;
    this.#key = undefined;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (
    typeof value === "number" ||
    typeof value === "boolean" ||
    typeof value === "bigint" ||
    value === undefined ||
    value === null
  )
    return String(value);
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

/** A priority the queue can order by: a finite number. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** A fair-queue key: a string or a finite number. */
export function isQueueKey(value: unknown): value is string | number {
  return typeof value === "string" || isFiniteNumber(value);
}
