import type { RateSpec } from "./RateLimits.js";
import { WindowLog } from "./WindowLog.js";

/** Tolerance on token counts, so float drift never turns "one token" into a 1e-12 ms wait. */
const EPSILON = 1e-9;

/**
 * The live state of one set of rate limits for one scope (the whole limiter, or one key): a token
 * bucket, sliding-window logs, and a Retry-After block. Decisions are split into a pure
 * {@link RateState.wait} and {@link RateState.take}, so a keyed limit and the global cap can both
 * be checked before either is charged.
 */
export class RateState {
  spec: RateSpec;
  #tokens: number;
  #updatedAt: number;
  #windows: WindowLog[];
  /** No admission before this time (a Retry-After penalty). */
  blockedUntil = -Infinity;

  constructor(spec: RateSpec, now: number) {
    this.spec = spec;
    this.#tokens = spec.burst;
    this.#updatedAt = now;
    this.#windows = spec.windows.map((w) => new WindowLog(w));
  }

  /** Ms until one admission is allowed (0: now); `penalized` is set when the block is the reason. */
  wait(now: number): number {
    let wait = this.blockedUntil - now;
    if (wait < 0) wait = 0;
    const perMs = this.spec.perMs;
    if (perMs > 0) {
      this.#refill(now);
      if (this.#tokens < 1 - EPSILON) {
        const w = (1 - this.#tokens) / perMs;
        if (w > wait) wait = w;
      }
    }
    for (const log of this.#windows) {
      const w = log.wait(now);
      if (w > wait) wait = w;
    }
    return wait;
  }

  /** True when the current wait is due to a penalty. */
  penalizedAt(now: number): boolean {
    return this.blockedUntil > now;
  }

  /** Charges one admission at `now` (the caller checked {@link RateState.wait}). */
  take(now: number): void {
    if (this.spec.perMs > 0) this.#tokens -= 1;
    for (const log of this.#windows) log.take(now);
  }

  /** Undoes an admission taken at `now`, in the same turn. */
  refund(now: number): void {
    if (this.spec.perMs > 0 && this.#updatedAt === now) this.#tokens = Math.min(this.spec.burst, this.#tokens + 1);
    for (const log of this.#windows) log.refund(now);
  }

  /**
   * Blocks admissions until `until`, then resumes at the normal rate from one token (no burst of
   * the permits that would have piled up during the block).
   */
  penalize(until: number): void {
    if (until <= this.blockedUntil) return;
    this.blockedUntil = until;
    if (this.spec.perMs > 0) {
      this.#tokens = 0;
      this.#updatedAt = until - 1 / this.spec.perMs;
    }
  }

  /** Ms until this state is equivalent to a fresh one (and can be forgotten). */
  idleIn(now: number): number {
    let idle = Math.max(0, this.blockedUntil - now);
    if (this.spec.perMs > 0) {
      this.#refill(now);
      idle = Math.max(idle, (this.spec.burst - this.#tokens) / this.spec.perMs);
    }
    for (const log of this.#windows) idle = Math.max(idle, log.idleIn(now));
    return idle < EPSILON ? 0 : idle;
  }

  /**
   * Switches to new limits at `now`, keeping what was used: the bucket keeps its tokens (capped at
   * the new burst; a new bucket starts full) and new windows inherit the admission history the old
   * ones hold (the newest `limit` times of the longest log).
   */
  reconfigure(spec: RateSpec, now: number): void {
    if (this.spec.perMs > 0) this.#refill(now);
    const hadBucket = this.spec.perMs > 0;
    let history: number[] = [];
    for (const log of this.#windows) {
      const times = log.times();
      if (times.length > history.length) history = times;
    }
    this.spec = spec;
    this.#tokens = hadBucket ? Math.min(spec.burst, this.#tokens) : spec.burst;
    this.#updatedAt = Math.max(this.#updatedAt, now);
    if (this.blockedUntil > now && spec.perMs > 0) this.#updatedAt = this.blockedUntil - 1 / spec.perMs;
    this.#windows = spec.windows.map((w) => {
      const log = new WindowLog(w);
      for (const t of history.slice(-w.limit)) log.take(t);
      return log;
    });
  }

  #refill(now: number): void {
    if (now <= this.#updatedAt) return;
    const tokens = this.#tokens + (now - this.#updatedAt) * this.spec.perMs;
    this.#tokens = tokens > this.spec.burst ? this.spec.burst : tokens;
    this.#updatedAt = now;
  }
}
