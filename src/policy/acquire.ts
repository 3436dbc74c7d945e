import { TimeoutError } from "../errors/TimeoutError.js";
import type { WeirError } from "../errors/WeirError.js";
import { systemClock, type Clock, type TimerHandle } from "../time/Clock.js";
import type { Admission } from "./Admission.js";

/** Options of {@link acquire}. */
export interface AcquireOptions {
  /** The clock `now` is read from and waits run on. @default systemClock */
  readonly clock?: Clock;
  /** Stops waiting: the promise rejects with the signal's reason. @default none */
  readonly signal?: AbortSignal;
  /**
   * Longest wait, in ms; past it the promise rejects with the admission's `refusal` (e.g. a
   * `CircuitOpenError`), or a `TimeoutError` when it has none. @default Infinity
   *
   * @example
   * ```ts
   * await acquire(breaker, item, { clock, maxWaitMs: 30_000 });
   * ```
   */
  readonly maxWaitMs?: number;
}

/**
 * Waits until `admission` admits `item`: retries after each finite wait on the clock, and on
 * every `onChange` notification. Resolves when admitted (the caller must then call `release`
 * once); rejects on abort or after `maxWaitMs`. Timers and listeners are always removed.
 *
 * This is the reference loop for a caller of {@link Admission}; the stage runner does the same
 * per queued item without a promise per wait.
 *
 * @example
 * ```ts
 * await acquire(db, row, { signal });
 * try { await insert(row); db.release(row, { ok: true, latencyMs }, clock.now()); } catch (error) { ... }
 * ```
 */
export function acquire<I>(admission: Admission<I>, item: I, options: AcquireOptions = {}): Promise<void> {
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const start = clock.now();
  const first = admission.tryAcquire(item, start);
  if (first === 0) return Promise.resolve();
  const deadline = start + (options.maxWaitMs ?? Infinity);
  return new Promise<void>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    let done = false;
    const finish = (error?: unknown): void => {
      done = true;
      timer?.cancel();
      off();
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => finish(signal?.reason);
    const refused = (now: number): WeirError =>
      admission.refusal?.(item, now) ?? new TimeoutError("waiting for admission", options.maxWaitMs ?? Infinity);
    const attempt = (): void => {
      if (done) return;
      const now = clock.now();
      const wait = admission.tryAcquire(item, now);
      if (wait === 0) return finish();
      arm(wait, now);
    };
    const arm = (wait: number, now: number): void => {
      timer?.cancel();
      timer = undefined;
      if (now >= deadline) return finish(refused(now));
      const ms = Math.min(wait, deadline - now);
      if (ms !== Infinity) timer = clock.setTimer(attempt, ms);
    };
    const off = admission.onChange(attempt);
    signal?.addEventListener("abort", onAbort, { once: true });
    arm(first, start);
  });
}
