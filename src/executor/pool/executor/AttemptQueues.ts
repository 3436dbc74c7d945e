import type { PendingAttempt } from "./PendingAttempt.js";

/**
 * The attempts of a pool executor not yet sent, in three queues served in this order: attempts
 * to send again alone (a worker failed while holding them beside others: see Blame in
 * docs/contexts.md), attempts to send again in batches (through no fault of theirs), and new
 * attempts. Settled attempts stay in place until passed over; `pending` counts the open ones.
 */
export class AttemptQueues {
  /** New attempts; `#head` is the first that may still be open. */
  #fresh: PendingAttempt[] = [];
  #head = 0;
  /** Attempts to send again, each alone. */
  #alone: PendingAttempt[] = [];
  /** Attempts to send again in batches. */
  #again: PendingAttempt[] = [];
  /** Open attempts in the three queues. */
  pending = 0;

  /** Queues a new attempt. */
  push(e: PendingAttempt): void {
    this.#fresh.push(e);
    this.pending++;
  }

  /** Queues `e` to go again alone. */
  pushAlone(e: PendingAttempt): void {
    e.isolated = true;
    this.#alone.push(e);
    this.pending++;
  }

  /** Queues `e` to go again in a batch. */
  pushAgain(e: PendingAttempt): void {
    this.#again.push(e);
    this.pending++;
  }

  /** Moves the attempt last queued to go again in a batch to the queue of those that go alone. */
  lastAgainAlone(): void {
    const e = this.#again.pop()!;
    e.isolated = true;
    this.#alone.push(e);
  }

  /** True while an attempt waits to go alone. */
  hasAlone(): boolean {
    const q = this.#alone;
    while (q.length > 0 && q[0]!.done) q.shift();
    return q.length > 0;
  }

  /** The next attempt to go alone (call after {@link hasAlone} said there is one). */
  takeAlone(): PendingAttempt {
    this.pending--;
    return this.#alone.shift()!;
  }

  /**
   * Takes the next `n` open attempts (at most {@link pending}) for a batch: those to go again
   * first, then new ones; calls `visit` with each and its position.
   */
  take(n: number, visit: (e: PendingAttempt, k: number) => void): void {
    const again = this.#again;
    const fresh = this.#fresh;
    let fromAgain = 0;
    let k = 0;
    while (k < n) {
      const e = fromAgain < again.length ? again[fromAgain++]! : fresh[this.#head++]!;
      if (e.done) continue;
      visit(e, k++);
    }
    if (fromAgain > 0) again.splice(0, fromAgain);
    this.pending -= n;
    this.#compact();
  }

  /** Calls `fn` with every open attempt still queued. */
  forEachOpen(fn: (e: PendingAttempt) => void): void {
    for (let i = this.#head; i < this.#fresh.length; i++) {
      const e = this.#fresh[i]!;
      if (!e.done) fn(e);
    }
    for (const e of this.#alone) if (!e.done) fn(e);
    for (const e of this.#again) if (!e.done) fn(e);
  }

  /** Drops everything queued (after every open attempt was settled). */
  clear(): void {
    this.#fresh = [];
    this.#head = 0;
    this.#alone = [];
    this.#again = [];
    this.pending = 0;
  }

  #compact(): void {
    if (this.#head === this.#fresh.length) {
      this.#fresh = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#fresh.length) {
      this.#fresh = this.#fresh.slice(this.#head);
      this.#head = 0;
    }
  }
}
