import type { PendingAttempt } from "./PendingAttempt.js";

/** Abort listening for all attempts that share one signal (usually the run's). */
interface SignalWatch {
  count: number;
  /** The only attempt with this signal, while there is exactly one (a per-item timeout signal). */
  only: PendingAttempt | undefined;
  readonly listener: () => void;
}

/**
 * The abort listeners of an executor's open attempts: one per signal, however many attempts share
 * it, removed when its last attempt settles. The signal watched last is remembered, so attempts
 * of one run cost a comparison each, not a map lookup.
 */
export class SignalWatches {
  readonly #watches = new Map<AbortSignal, SignalWatch>();
  #lastSignal: AbortSignal | undefined;
  #lastWatch: SignalWatch | undefined;
  /** Called once per aborted signal, with its only attempt when it has exactly one. */
  readonly #onAbort: (signal: AbortSignal, only: PendingAttempt | undefined) => void;

  constructor(onAbort: (signal: AbortSignal, only: PendingAttempt | undefined) => void) {
    this.#onAbort = onAbort;
  }

  /** True when `signal` has aborted (a signal watched now has not: its listener would have dropped the watch). */
  aborted(signal: AbortSignal): boolean {
    return (signal !== this.#lastSignal || this.#lastWatch === undefined) && signal.aborted;
  }

  /** Listens to `e`'s signal until {@link unwatch}. */
  watch(e: PendingAttempt): void {
    const signal = e.signal;
    let w = signal === this.#lastSignal ? this.#lastWatch : this.#watches.get(signal);
    if (w === undefined) {
      const watch: SignalWatch = { count: 0, only: e, listener: () => this.#fire(signal, watch) };
      w = watch;
      this.#watches.set(signal, w);
      signal.addEventListener("abort", w.listener, { once: true });
    } else w.only = undefined;
    w.count++;
    this.#lastSignal = signal;
    this.#lastWatch = w;
  }

  /** `e` settled: its signal's listener goes with the last attempt using it. */
  unwatch(e: PendingAttempt): void {
    const signal = e.signal;
    const w = signal === this.#lastSignal ? this.#lastWatch : this.#watches.get(signal);
    if (w === undefined || --w.count > 0) return;
    signal.removeEventListener("abort", w.listener);
    this.#forget(signal);
  }

  #fire(signal: AbortSignal, w: SignalWatch): void {
    this.#forget(signal);
    this.#onAbort(signal, w.only);
  }

  #forget(signal: AbortSignal): void {
    this.#watches.delete(signal);
    if (this.#lastSignal === signal) {
      this.#lastSignal = undefined;
      this.#lastWatch = undefined;
    }
  }
}
