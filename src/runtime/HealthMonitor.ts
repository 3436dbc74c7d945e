import type { Clock, TimerHandle } from "../time/Clock.js";

/**
 * Runs a check every `intervalMs` on `clock`, one at a time: the next interval starts when the
 * check settles, so a slow check never overlaps itself. `stop()` cancels the pending timer; a
 * check in flight finishes but schedules nothing.
 */
export class HealthMonitor {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #check: () => Promise<unknown>;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(clock: Clock, intervalMs: number, check: () => Promise<unknown>) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#check = check;
  }

  start(): void {
    if (this.#running || this.#intervalMs === 0) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      void this.#check()
        .catch(() => undefined)
        .then(() => {
          if (this.#running) this.#schedule();
        });
    }, this.#intervalMs);
  }
}
