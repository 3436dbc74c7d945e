/**
 * The listeners behind an {@link Admission.onChange}: added and removed in O(1) amortized,
 * notified synchronously in subscription order. A listener that throws does not stop the others;
 * its error is reported with `process.emitWarning`. A listener removed during a notification is
 * not called after its removal.
 */
export class ChangeListeners {
  /** Live listeners; a listener's membership is the single source of truth for "subscribed". */
  readonly #listeners = new Set<() => void>();

  /** Number of subscribed listeners. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Subscribes `listener`; returns the function that unsubscribes it (idempotent). */
  add(listener: () => void): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (): void => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Calls every listener once. */
  notify(): void {
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) {
      if (!this.#listeners.has(listener)) continue;
      try {
        listener();
      } catch (error) {
        process.emitWarning(`weir: an admission change listener failed: ${String(error)}`);
      }
    }
  }
}
