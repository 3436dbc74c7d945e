import type { RateWindow } from "./RateLimits.js";

/**
 * The admission times of one sliding window: a ring that keeps the last `limit` times, grown on
 * demand (so a quiet key costs a few bytes, never more than 8 × `limit`). An admission at `now`
 * is allowed when fewer than `limit` times are at most `intervalMs` old.
 */
export class WindowLog {
  readonly limit: number;
  readonly intervalMs: number;
  #times: Float64Array;
  #head = 0;
  #size = 0;

  constructor(window: RateWindow) {
    this.limit = window.limit;
    this.intervalMs = window.intervalMs;
    this.#times = new Float64Array(Math.min(window.limit, 8));
  }

  /** Ms until an admission is allowed (0: now). */
  wait(now: number): number {
    if (this.#size < this.limit) return 0;
    const w = this.#times[this.#head]! + this.intervalMs - now;
    return w > 0 ? w : 0;
  }

  /** Records an admission at `now` (the caller checked {@link WindowLog.wait}). */
  take(now: number): void {
    const cap = this.#times.length;
    if (this.#size === this.limit) {
      // Full: the oldest has expired (wait was 0); overwrite it.
      this.#times[this.#head] = now;
      this.#head = (this.#head + 1) % cap;
      return;
    }
    if (this.#size === cap) this.#grow();
    this.#times[(this.#head + this.#size) % this.#times.length] = now;
    this.#size++;
  }

  /** Undoes the newest admission if it was at `now`; returns whether it did. */
  refund(now: number): boolean {
    if (this.#size === 0) return false;
    const cap = this.#times.length;
    const newest = (this.#head + this.#size - 1) % cap;
    if (this.#times[newest] !== now) return false;
    this.#size--;
    return true;
  }

  /** Ms until the window holds no admission (the key can be forgotten). */
  idleIn(now: number): number {
    if (this.#size === 0) return 0;
    const newest = this.#times[(this.#head + this.#size - 1) % this.#times.length]!;
    return Math.max(0, newest + this.intervalMs - now);
  }

  /** The recorded times, oldest first (for carrying history across a limit change). */
  times(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.#size; k++) out.push(this.#times[(this.#head + k) % this.#times.length]!);
    return out;
  }

  #grow(): void {
    const cap = Math.min(this.limit, this.#times.length * 2);
    const next = new Float64Array(cap);
    for (let k = 0; k < this.#size; k++) next[k] = this.#times[(this.#head + k) % this.#times.length]!;
    this.#times = next;
    this.#head = 0;
  }
}
