import type { Clock, TimerHandle } from "../../../time/Clock.js";
import type { PoolWorker } from "./PoolWorker.js";

/** After the module failed to load, the next worker starts this long after (doubling per failure in a row). */
const BACKOFF_MS = 100;
/** The backoff's cap, and how long a pool that gave up fails new items at once before it tries again. */
const BACKOFF_MAX_MS = 5_000;

/**
 * A pool's record of its module failing to load: failures in a row (a worker that loads it ends
 * the streak), the backoff before the next worker starts, and whether the pool gave up
 * (`loadAttempts` in a row). While failures are counted, one worker starts at a time.
 */
export class LoadBackoff {
  readonly #clock: Clock;
  readonly #attempts: number;
  readonly #retry: () => void;
  /** Failed loads in a row. */
  #failures = 0;
  /** No worker starts before this time, on the pool's clock. */
  #startAfter = 0;
  #timer: TimerHandle | undefined;
  /** What the module threw, the last time it failed to load. */
  error: unknown;
  /** That failure was its `setup`'s. */
  inSetup = false;

  /**
   * @param attempts `loadAttempts`
   * @param retry called once a backoff is over (the pool starts workers and pumps)
   */
  constructor(clock: Clock, attempts: number, retry: () => void) {
    this.#clock = clock;
    this.#attempts = attempts;
    this.#retry = retry;
  }

  /** `loadAttempts` loads failed in a row: the pool fails what waits for it instead of retrying. */
  get gaveUp(): boolean {
    return this.#failures >= this.#attempts;
  }

  /** Gave up, and not trying again yet: items fail at once. */
  get coolingDown(): boolean {
    return this.gaveUp && this.#clock.now() < this.#startAfter;
  }

  /** A worker loaded the module: the streak ends. */
  loaded(): void {
    this.#failures = 0;
    this.#startAfter = 0;
  }

  /** A worker failed to load it (or to set it up) with `cause`; true when the pool now gives up. */
  failed(cause: unknown, inSetup: boolean): boolean {
    this.error = cause;
    this.inSetup = inSetup;
    this.#failures++;
    const wait = this.gaveUp ? BACKOFF_MAX_MS : Math.min(BACKOFF_MS * 2 ** (this.#failures - 1), BACKOFF_MAX_MS);
    this.#startAfter = this.#clock.now() + wait;
    return this.gaveUp;
  }

  /**
   * Whether a worker may start now: always, unless loads are failing; then only when no other
   * worker is loading and the backoff is over (a timer calls `retry` when it is).
   */
  mayStart(workers: readonly PoolWorker[]): boolean {
    if (this.#failures === 0) return true;
    for (const w of workers) if (!w.ready && w.stopped === undefined) return false;
    const wait = this.#startAfter - this.#clock.now();
    if (wait <= 0) return true;
    this.#timer ??= this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#retry();
    }, wait);
    return false;
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
