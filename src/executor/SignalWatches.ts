/** Abort listening for all entries that share one signal (usually the run's). */
interface Watch<E> {
  count: number;
  /** The only entry with this signal, while there is exactly one (a per-item timeout signal). */
  only: E | undefined;
  readonly listener: () => void;
}

/**
 * One abort listener per distinct signal, however many attempts share it: attempts of a run
 * share the run's signal (one listener for all), an attempt the stage times itself has its own.
 * When a signal aborts, `onAbort(signal, only)` runs once: `only` is the entry when it was the
 * signal's only one, so the caller need not search. Listeners are removed when their last entry
 * is unwatched.
 */
export class SignalWatches<E> {
  readonly #watches = new Map<AbortSignal, Watch<E>>();
  readonly #onAbort: (signal: AbortSignal, only: E | undefined) => void;
  #lastSignal: AbortSignal | undefined;
  #lastWatch: Watch<E> | undefined;

  constructor(onAbort: (signal: AbortSignal, only: E | undefined) => void) {
    this.#onAbort = onAbort;
  }

  /** True when `signal` has aborted (a signal watched now has not: its listener would have dropped the watch). */
  aborted(signal: AbortSignal): boolean {
    return (signal !== this.#lastSignal || this.#lastWatch === undefined) && signal.aborted;
  }

  /** Counts `entry` under `signal` (which has not aborted). */
  watch(signal: AbortSignal, entry: E): void {
    // the common case (the signal watched last, a run's own) apart and small: V8 keeps it
    // allocation-free per call, which it did not with the lookup below on the same path
    const last = this.#lastWatch;
    if (signal === this.#lastSignal && last !== undefined) {
      last.only = undefined;
      last.count++;
      return;
    }
    this.#watchOther(signal, entry);
  }

  /** {@link watch} for a signal other than the one watched last. */
  #watchOther(signal: AbortSignal, entry: E): void {
    let w = this.#watches.get(signal);
    if (w === undefined) {
      const watch: Watch<E> = {
        count: 0,
        only: entry,
        listener: () => {
          this.#forget(signal);
          this.#onAbort(signal, watch.count === 1 ? watch.only : undefined);
        },
      };
      w = watch;
      this.#watches.set(signal, w);
      signal.addEventListener("abort", w.listener, { once: true });
    } else w.only = undefined;
    w.count++;
    this.#lastSignal = signal;
    this.#lastWatch = w;
  }

  /** `count` entries under `signal` settled (one by default). */
  unwatch(signal: AbortSignal, count = 1): void {
    const w = signal === this.#lastSignal ? this.#lastWatch : this.#watches.get(signal);
    if (w === undefined || (w.count -= count) > 0) return;
    signal.removeEventListener("abort", w.listener);
    this.#forget(signal);
  }

  #forget(signal: AbortSignal): void {
    this.#watches.delete(signal);
    if (this.#lastSignal === signal) {
      this.#lastSignal = undefined;
      this.#lastWatch = undefined;
    }
  }
}
