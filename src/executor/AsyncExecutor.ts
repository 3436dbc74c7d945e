import { itemKey, type ItemKeys } from "./ItemKeys.js";
import type { StageContext } from "../stage/StageContext.js";
import type { Attempt, Executor, Settle } from "./Executor.js";
import { holdMainLoopDelay, mainLoopDelayMs } from "../time/mainLoopDelay.js";

const ignore = (): void => {};

/** A stage function: sync or async. */
export type StageFunction<I, O> = (item: I, ctx: StageContext) => O | PromiseLike<O>;

/**
 * Runs stage functions on the main event loop as concurrent promises. A synchronous return or
 * throw settles at once, without a promise.
 */
export class AsyncExecutor implements Executor {
  readonly context = "async" as const;
  readonly #fn: StageFunction<unknown, unknown>;
  readonly #stage: string;
  readonly #release: () => void;
  /** The delay when the executor closed (final stats are read after). */
  #final: number | undefined;
  /** How `ctx.key` is made in a durable run (undefined: no keys). */
  #keys: ItemKeys | undefined;

  constructor(fn: StageFunction<unknown, unknown>, stage: string) {
    this.#fn = fn;
    this.#stage = stage;
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
    return concurrency;
  }

  execute(attempt: Attempt, settle: Settle): void {
    let result: unknown;
    const keys = this.#keys;
    try {
      result = this.#fn(attempt.item, {
        signal: attempt.signal,
        attempt: attempt.attempt,
        stage: this.#stage,
        // a keyed run's flatMap child has an id of its own: its source index plus a fraction
        index: keys === undefined ? attempt.index : Math.floor(attempt.index),
        key: keys === undefined ? undefined : itemKey(keys, attempt.index),
        retryAfter: attempt.retryAfter ?? ignore,
      });
    } catch (error) {
      settle.reject(error);
      return;
    }
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<unknown>).then(settle.resolve, settle.reject);
    } else {
      settle.resolve(result);
    }
  }

  close(): Promise<void> {
    this.#final ??= mainLoopDelayMs();
    this.#release();
    return Promise.resolve();
  }
}
