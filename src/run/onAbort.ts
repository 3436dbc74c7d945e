/**
 * One `abort` listener per AbortSignal, however many subscribers share it: any number of runs on
 * one signal add a single listener to it (no `MaxListenersExceededWarning`), and it is removed as
 * soon as the last of them unsubscribes, so a long-lived signal keeps nothing of finished runs.
 */
interface FanOut {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Calls `callback` once when `signal` aborts (not at all if it already has: check
 * `signal.aborted` first). Returns the unsubscribe function (idempotent); call it when the
 * subscriber ends, whether or not the signal aborted.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fan = fanOuts.get(signal);
  if (fan === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      fanOuts.delete(signal);
      const called = [...callbacks];
      callbacks.clear();
      for (const cb of called) {
        try {
          cb();
        } catch (error) {
          // as a throwing listener would: reported, and the other subscribers still run
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    };
    fan = { callbacks, listener };
    fanOuts.set(signal, fan);
    signal.addEventListener("abort", listener, { once: true });
  }
  // its own entry, so the same callback subscribed twice is two subscriptions
  const entry = (): void => callback();
  const own = fan;
  own.callbacks.add(entry);
  return () => {
    if (!own.callbacks.delete(entry) || own.callbacks.size > 0) return;
    if (fanOuts.get(signal) === own) fanOuts.delete(signal);
    signal.removeEventListener("abort", own.listener);
  };
}
