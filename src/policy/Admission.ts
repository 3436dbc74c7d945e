import type { WeirError } from "../errors/WeirError.js";
import type { Clock } from "../time/Clock.js";

/**
 * How an admitted attempt ended, reported to {@link Admission.release}.
 *
 * `neutral: true` means the attempt never ran (a composed admission rolling back): the admission
 * frees what it took and records nothing — no success, no failure, no latency sample, and no
 * listener notification (capacity is back where it was before the matching `tryAcquire`, which
 * listeners already saw), except that a half-open breaker whose probe is given back this way after
 * others were refused for want of a probe notifies them. Use it only to undo an
 * acquisition at once, in the same turn: a rate limiter refunds the permit only when the release's
 * `now` equals the acquisition's.
 *
 * `cancelled: true` means the attempt started but was cut short by cancellation (the run was
 * cancelled or failed elsewhere, or `stop()` ran out of grace): the admission frees what it took and
 * wakes waiters, but records neither a success nor a failure (a breaker does not count it, an
 * adaptive limit takes no sample; a rate limiter keeps the permit, as the work did start). Set
 * `ok: false` and the cancellation reason as `error` too, so an admission that predates this
 * field still frees its capacity.
 */
export interface AdmissionOutcome {
  /** The attempt succeeded. */
  readonly ok: boolean;
  /** The error it failed with, when `ok` is false. */
  readonly error?: unknown;
  /** How long the attempt ran, in ms. */
  readonly latencyMs: number;
  /** The attempt never ran: undo the acquisition, record nothing. @default false */
  readonly neutral?: boolean;
  /** The attempt was cut short by cancellation: free capacity, wake waiters, record nothing. @default false */
  readonly cancelled?: boolean;
}

/** The outcome that undoes an acquisition and records nothing. */
export const neutralOutcome: AdmissionOutcome = Object.freeze({ ok: true, latencyMs: 0, neutral: true });

/**
 * The outcome of an attempt cut short by cancellation (see {@link AdmissionOutcome.cancelled}).
 *
 * @example
 * ```ts
 * admission.release(item, cancelledOutcome(signal.reason, clock.now() - startedAt), clock.now());
 * ```
 */
export function cancelledOutcome(reason: unknown, latencyMs: number): AdmissionOutcome {
  return { ok: false, error: reason, latencyMs, cancelled: true };
}

/**
 * The seam by which a stage runner (or any loop) applies a flow-control policy to an item: rate
 * limiters, circuit breakers, bulkheads and adaptive concurrency all implement it, and
 * {@link composeAdmissions} stacks them. Everything is synchronous and allocation-free on the
 * admitted path; the caller owns waiting (a timer for a finite wait, {@link Admission.onChange}
 * for `Infinity`), so one admission object can be shared by any number of stages and workflows.
 *
 * Contract (checked by `test/policy/admission-conformance.test.ts` for every implementation):
 * - `tryAcquire` returns `0` (admitted), a positive finite number of ms, or `Infinity`; never a
 *   negative number or NaN.
 * - every `0` is matched by exactly one `release`.
 * - `release(item, neutralOutcome, now)` right after `tryAcquire` returned 0 restores the state:
 *   the same `tryAcquire` at the same `now` admits again.
 * - listeners added with `onChange` are called synchronously after capacity grows (a
 *   `cancelled` release included), and never after their unsubscribe function ran.
 * - a `cancelled` release records no outcome.
 *
 * @example
 * ```ts
 * const wait = admission.tryAcquire(item, clock.now());
 * if (wait === 0) {
 *   const started = clock.now();
 *   try { await work(item); admission.release(item, { ok: true, latencyMs: clock.now() - started }, clock.now()); }
 *   catch (error) { admission.release(item, { ok: false, error, latencyMs: clock.now() - started }, clock.now()); }
 * } // else: retry after `wait` ms, or on the next onChange when wait is Infinity
 * ```
 */
export interface Admission<I = unknown> {
  /**
   * Try to admit `item` at clock time `now`. Returns 0 when admitted (the caller must later call
   * {@link Admission.release} exactly once), a positive number of ms after which trying again may
   * succeed, or `Infinity` to wait for an {@link Admission.onChange} notification.
   */
  tryAcquire(item: I, now: number): number;
  /** The admitted item's attempt finished. */
  release(item: I, outcome: AdmissionOutcome, now: number): void;
  /**
   * The stage function reported Retry-After (`ctx.retryAfter(ms)`, or an error carrying
   * `retryAfterMs` or a Retry-After header; see {@link retryAfterMs}): slow the item's key (or
   * everything) down for `ms`.
   */
  penalize?(item: I, ms: number, now: number): void;
  /** Subscribe to capacity changes (slot freed, limits changed, breaker half-open); returns unsubscribe. */
  onChange(listener: () => void): () => void;
  /**
   * The error that explains why `item` is not admitted at `now` (e.g. a `CircuitOpenError`), for a
   * caller that gave up waiting (the stage's `maxWaitMs`) and applies its error policy.
   */
  refusal?(item: I, now: number): WeirError;
  /**
   * Right after `tryAcquire(item, now)` refused: true when the refusal holds only items of the
   * same key as `item` (a per-key rate limit, a per-key Retry-After), so a caller may admit items of
   * other keys meanwhile. The implementation promises that every item of that key would be
   * refused at `now` too, so a caller that tries its waiters in arrival order keeps each key
   * first-in first-out. Absent or false: the refusal holds every item (a global limit, an open
   * breaker, a full pool), and the caller queues the rest behind it.
   */
  keyedRefusal?(item: I, now: number): boolean;
  /**
   * Called by a stage runner when a run starts to use the policy, with the run's clock. A policy
   * that keeps time of its own (a breaker's half-open timer, a limiter's default `now`) and was
   * created without a `clock` follows this one from then on; one created with (or already
   * following) a clock on another time base throws an `InvalidOptionError` for option `clock`,
   * since its times and the run's would not compare.
   */
  bindClock?(clock: Clock): void;
}
