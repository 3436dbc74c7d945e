import type { Admission, AdmissionOutcome } from "../policy/Admission.js";
import type { Clock, TimerHandle } from "../time/Clock.js";

/** An item held at the gate. */
export interface Waiter {
  readonly item: unknown;
  /** When it first had to wait (clock ms); -1 while it has not. */
  waitingSince: number;
}

/**
 * Applies a stage's flow-control policies (rate limits, breakers, bulkheads, adaptive concurrency:
 * one composed {@link Admission}) in front of its attempts. Items the admission refuses wait here,
 * first come first served (a refused item holds the ones behind it in the stage's channel, so the
 * wait is bounded by the channel), and are retried when the admission says so: after its finite
 * wait on one timer for the whole stage, or on its change notification. An item that waited longer
 * than `maxWaitMs` is handed to `expire` (the stage's error policy then applies).
 */
export class AdmissionGate<W extends Waiter> {
  readonly #admission: Admission;
  readonly #clock: Clock;
  readonly #maxWaitMs: number;
  readonly #wake: () => void;
  readonly #waiting: W[] = [];
  readonly #unsubscribe: () => void;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  /** Items that had to wait at least once. */
  waits = 0;

  readonly #onWait: ((w: W, waitMs: number) => void) | undefined;

  constructor(admission: Admission, clock: Clock, maxWaitMs: number, wake: () => void, onWait?: (w: W, waitMs: number) => void) {
    this.#onWait = onWait;
    this.#admission = admission;
    this.#clock = clock;
    this.#maxWaitMs = maxWaitMs;
    this.#wake = wake;
    this.#unsubscribe = admission.onChange(() => {
      if (this.#waiting.length > 0) wake();
    });
  }

  /** Items waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** True when an item is waiting: new items must queue behind it. */
  get blocked(): boolean {
    return this.#waiting.length > 0;
  }

  /**
   * Tries to admit `w` at `now`. True: admitted (release it later). False: it waits here (at the
   * back, or at the front when `first`, as a retry of an item already in progress).
   */
  admit(w: W, now: number, first = false): boolean {
    const wait = this.#admission.tryAcquire(w.item, now);
    if (wait === 0) return true;
    if (w.waitingSince < 0) {
      w.waitingSince = now;
      this.waits++;
      this.#onWait?.(w, wait);
    }
    if (first) this.#waiting.unshift(w);
    else this.#waiting.push(w);
    this.#arm(w, now, wait);
    return false;
  }

  /**
   * Retries the waiting items in order: `start` each one admitted, `expire` each one past
   * `maxWaitMs`; stops at the first still refused (or when `room` says no more may start).
   */
  drain(now: number, room: () => boolean, start: (w: W) => void, expire: (w: W, error: unknown) => void): void {
    const waiting = this.#waiting;
    while (waiting.length > 0 && room()) {
      const w = waiting[0]!;
      const wait = this.#admission.tryAcquire(w.item, now);
      if (wait === 0) {
        waiting.shift();
        start(w);
        continue;
      }
      if (now - w.waitingSince >= this.#maxWaitMs) {
        waiting.shift();
        expire(w, this.#admission.refusal?.(w.item, now));
        continue;
      }
      this.#arm(w, now, wait);
      return;
    }
  }

  /** The attempt of an admitted item ended. */
  release(item: unknown, outcome: AdmissionOutcome, now: number): void {
    this.#admission.release(item, outcome, now);
  }

  /** The item's attempt reported Retry-After `ms`. */
  penalize(item: unknown, ms: number, now: number): void {
    this.#admission.penalize?.(item, ms, now);
  }

  /** Stops listening and cancels the timer. */
  close(): void {
    this.#unsubscribe();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#waiting.length = 0;
  }

  /** One timer for the stage: the earliest of the admission's finite wait and the head's deadline. */
  #arm(w: W, now: number, wait: number): void {
    const deadline = w.waitingSince + this.#maxWaitMs;
    const at = Math.min(Number.isFinite(wait) ? now + wait : Infinity, deadline);
    if (!Number.isFinite(at) || at >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#wake();
    }, Math.max(0, at - now));
  }
}
