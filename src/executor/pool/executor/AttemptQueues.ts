import type { Attempt, Settle } from "../../Executor.js";
import type { AttemptBatch } from "./AttemptBatch.js";

/**
 * One queue of attempts in parallel arrays (no object per item): `settles[i]` is cleared when
 * attempt `i` settles while queued; `head` is the first that may still be open.
 */
class AttemptQueue {
  attempts: Attempt[] = [];
  settles: (Settle | undefined)[] = [];
  head = 0;

  push(attempt: Attempt, settle: Settle): void {
    this.attempts.push(attempt);
    this.settles.push(settle);
  }

  /** Skips settled attempts at the head; true while one is open. */
  hasOpen(): boolean {
    const s = this.settles;
    while (this.head < s.length && s[this.head] === undefined) this.head++;
    if (this.head < s.length) return true;
    this.clear();
    return false;
  }

  /** Calls `fn` with every open attempt and its place. */
  forEachOpen(fn: (attempt: Attempt, settle: Settle, i: number) => void): void {
    const s = this.settles;
    for (let i = this.head; i < s.length; i++) {
      const settle = s[i];
      if (settle !== undefined) fn(this.attempts[i]!, settle, i);
    }
  }

  clear(): void {
    this.attempts = [];
    this.settles = [];
    this.head = 0;
  }

  compact(): void {
    if (this.head === this.settles.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.settles.length) {
      this.attempts = this.attempts.slice(this.head);
      this.settles = this.settles.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The attempts of a pool executor not yet sent, in three queues served in this order: attempts
 * to send again alone (a worker failed while holding them beside others: see Blame in
 * docs/contexts.md), attempts to send again in batches (through no fault of theirs), and new
 * attempts. Settled attempts stay in place until passed over; `pending` counts the open ones.
 */
export class AttemptQueues {
  readonly #fresh = new AttemptQueue();
  readonly #alone = new AttemptQueue();
  readonly #again = new AttemptQueue();
  /** Open attempts in the three queues. */
  pending = 0;

  /** Queues a new attempt. */
  push(attempt: Attempt, settle: Settle): void {
    this.#fresh.push(attempt, settle);
    this.pending++;
  }

  /** Queues an attempt to go again alone. */
  pushAlone(attempt: Attempt, settle: Settle): void {
    this.#alone.push(attempt, settle);
    this.pending++;
  }

  /** Queues an attempt to go again in a batch. */
  pushAgain(attempt: Attempt, settle: Settle): void {
    this.#again.push(attempt, settle);
    this.pending++;
  }

  /** Moves the attempt last queued to go again in a batch to the queue of those that go alone. */
  lastAgainAlone(): void {
    const q = this.#again;
    this.#alone.push(q.attempts.pop()!, q.settles.pop()!);
  }

  /** True while an attempt waits to go alone. */
  hasAlone(): boolean {
    return this.#alone.hasOpen();
  }

  /** Adds the next attempt to go alone to `batch` (call after {@link hasAlone} said there is one). */
  takeAlone(batch: AttemptBatch): void {
    const q = this.#alone;
    batch.add(q.attempts[q.head]!, q.settles[q.head]!);
    q.head++;
    q.compact();
    this.pending--;
  }

  /**
   * Adds the next `n` open attempts (at most {@link pending}) to `batch`: those to go again
   * first, then new ones.
   */
  take(n: number, batch: AttemptBatch): void {
    let k = 0;
    for (const q of [this.#again, this.#fresh]) {
      const attempts = q.attempts;
      const settles = q.settles;
      let i = q.head;
      const end = settles.length;
      while (k < n && i < end) {
        const settle = settles[i];
        if (settle !== undefined) {
          batch.add(attempts[i]!, settle);
          k++;
        }
        i++;
      }
      q.head = i;
      q.compact();
      if (k === n) break;
    }
    this.pending -= n;
  }

  /** Calls `fn` with every open attempt still queued, and a function that clears its place. */
  forEachOpen(fn: (attempt: Attempt, settle: Settle, remove: () => void) => void): void {
    for (const q of [this.#fresh, this.#alone, this.#again]) {
      q.forEachOpen((attempt, settle, i) =>
        fn(attempt, settle, () => {
          q.settles[i] = undefined;
        }),
      );
    }
  }

  /** Drops everything queued (after every open attempt was settled). */
  clear(): void {
    this.#fresh.clear();
    this.#alone.clear();
    this.#again.clear();
    this.pending = 0;
  }
}
