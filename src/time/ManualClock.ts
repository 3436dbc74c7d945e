import type { Clock, TimerHandle } from "./Clock.js";

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to: for deterministic tests of timeouts, backoff, batch
 * windows and rate limits. Timers fire in time order (FIFO among equal times) during
 * {@link ManualClock.advance}.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const run = p.run({ clock });
 * await clock.advance(200); // fires every timer due in the next 200 ms, letting promises settle between
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Pending timers; kept sorted by (at, seq) on insertion. */
  #timers: Pending[] = [];

  /** @param start - the initial reading of {@link ManualClock.now}, in ms. @default 0 */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const entry: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback, cancelled: false };
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.at > entry.at) i--;
    this.#timers.splice(i, 0, entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers (and at the end) it lets
   * pending promise callbacks and I/O callbacks run, so code awaiting a timer sees it fire before
   * the next one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      if (next.cancelled) continue;
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances to each pending timer in turn until none is left (or `maxSteps` were fired). */
  async runAll(maxSteps = 100_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await settle();
      const next = this.#timers.find((t) => !t.cancelled);
      if (next === undefined) return;
      await this.advance(next.at - this.#now);
    }
  }
}

/** Lets queued microtasks and already-due macrotasks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
