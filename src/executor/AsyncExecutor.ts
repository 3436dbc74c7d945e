import { itemKey, type ItemKeys } from "./ItemKeys.js";
import type { StageContext } from "../stage/StageContext.js";
import type { Attempt, Executor, Settle } from "./Executor.js";
import { followThenable, thenOf } from "./followThenable.js";
import { holdMainLoopDelay, mainLoopDelayMs } from "../time/mainLoopDelay.js";
import { readsContext } from "../stage/readsContext.js";

const ignore = (): void => {};

/** A stage function: sync or async. */
export type StageFunction<I, O> = (item: I, ctx: StageContext) => O | PromiseLike<O>;

/**
 * Runs stage functions on the main event loop as concurrent promises. A synchronous return or
 * throw settles at once, without a promise. A function that cannot read its second argument
 * (one declared parameter: see {@link readsContext}) gets no context object: none is made per
 * attempt.
 *
 * In a stage of one item at a time (a window of one), a promise is awaited by a lane (an async
 * loop), not given a `.then` per attempt: settling it makes the runner start the next attempt at
 * once, and that attempt's promise is handed to the same lane, which awaits it next; so no promise
 * of weir's own is made per item. Wider windows refill once per burst of settles (outside any
 * lane), where a lane per attempt would cost more than a `.then`; other thenables always get
 * `.then(resolve, reject)`.
 */
export class AsyncExecutor implements Executor {
  readonly context = "async" as const;
  readonly #fn: StageFunction<unknown, unknown>;
  readonly #stage: string;
  /** False when the function certainly cannot see its `ctx`: none is made. */
  readonly #readsContext: boolean;
  readonly #release: () => void;
  /** The delay when the executor closed (final stats are read after). */
  #final: number | undefined;
  /** How `ctx.key` is made in a durable run (undefined: no keys). */
  #keys: ItemKeys | undefined;
  /** The runner keeps one item in flight (its window is 1): promises go to lanes. */
  #serial = false;
  /** A lane is settling an attempt: a promise of an attempt started meanwhile goes to that lane. */
  #settling = false;
  /** The promise handed to the settling lane, and its settle (undefined: none). */
  #handedPromise: Promise<unknown> | undefined;
  #handedSettle: Settle | undefined;

  constructor(fn: StageFunction<unknown, unknown>, stage: string) {
    this.#fn = fn;
    this.#stage = stage;
    this.#readsContext = readsContext(fn);
    this.#release = holdMainLoopDelay();
  }

  /** The main loop's delay (the loop this executor's work runs on). */
  loopDelayMs(): number {
    return this.#final ?? mainLoopDelayMs();
  }

  useKeys(keys: ItemKeys): void {
    this.#keys = keys;
  }

  window(concurrency: number): number {
    this.#serial = concurrency <= 1;
    return concurrency;
  }

  execute(attempt: Attempt, settle: Settle): void {
    let result: unknown;
    const keys = this.#keys;
    try {
      result = this.#readsContext
        ? this.#fn(attempt.item, {
            signal: attempt.signal,
            attempt: attempt.attempt,
            stage: this.#stage,
            // a keyed run's flatMap child has an id of its own: its source index plus a fraction
            index: keys === undefined ? attempt.index : Math.floor(attempt.index),
            key: keys === undefined ? undefined : itemKey(keys, attempt.index),
            retryAfter: attempt.retryAfter ?? ignore,
          })
        : (this.#fn as (item: unknown) => unknown)(attempt.item);
    } catch (error) {
      settle.reject(error);
      return;
    }
    if (this.#serial && result instanceof Promise) {
      if (this.#settling && this.#handedSettle === undefined) {
        this.#handedPromise = result;
        this.#handedSettle = settle;
      } else void this.#lane(result, settle);
      return;
    }
    if (result instanceof Promise) {
      result.then(settle.resolve, settle.reject);
      return;
    }
    let then;
    try {
      then = thenOf(result);
    } catch (error) {
      settle.reject(error);
      return;
    }
    // any other thenable settles the item once, whatever it calls back (a promise settles once)
    if (then !== undefined) followThenable(result as object, then, settle.resolve, settle.reject);
    else settle.resolve(result);
  }

  /** Awaits `promise`, settles it, and goes on with any promise handed to it while settling. */
  async #lane(promise: Promise<unknown>, settle: Settle): Promise<void> {
    for (;;) {
      let value: unknown;
      let ok = true;
      try {
        value = await promise;
      } catch (error) {
        ok = false;
        value = error;
      }
      let settled = false;
      this.#settling = true;
      try {
        if (ok) settle.resolve(value);
        else settle.reject(value);
        settled = true;
      } finally {
        this.#settling = false;
        // a settle that threw still leaves the attempt handed over meanwhile its own lane
        if (!settled) this.#startHanded();
      }
      const next = this.#handedPromise;
      if (next === undefined) return;
      promise = next;
      settle = this.#handedSettle!;
      this.#handedPromise = undefined;
      this.#handedSettle = undefined;
    }
  }

  #startHanded(): void {
    const promise = this.#handedPromise;
    if (promise === undefined) return;
    const settle = this.#handedSettle!;
    this.#handedPromise = undefined;
    this.#handedSettle = undefined;
    void this.#lane(promise, settle);
  }

  close(): Promise<void> {
    this.#final ??= mainLoopDelayMs();
    this.#release();
    return Promise.resolve();
  }
}
