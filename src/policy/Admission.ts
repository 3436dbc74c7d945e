import type { WeirError } from "../errors/WeirError.js";

/**
 * How an admitted attempt ended, reported to {@link Admission.release}.
 *
 * `neutral: true` means the attempt never ran (a composed admission rolling back, or a run
 * cancelled before the work started): the admission frees what it took and records nothing — no
 * success, no failure, no latency sample, no listener notification (capacity is back where it was
 * before the matching `tryAcquire`, which listeners already saw). Use it only to undo an
 * acquisition at once, in the same turn: a rate limiter refunds the permit only when the release's
 * `now` equals the acquisition's.
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
}

/** The outcome that undoes an acquisition and records nothing. */
export const neutralOutcome: AdmissionOutcome = Object.freeze({ ok: true, latencyMs: 0, neutral: true });

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
 * - listeners added with `onChange` are called synchronously after capacity grows, and never
 *   after their unsubscribe function ran.
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
}
