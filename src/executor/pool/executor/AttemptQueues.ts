import type { Attempt, Settle } from "../../Executor.js";
import type { AttemptBatch } from "./AttemptBatch.js";

/**
 * One queue of attempts in parallel arrays (no object per item): `settles[i]` is cleared when
 * attempt `i` settles while queued; `head` is the first that may still be open, `tail` one past
 * the last. The arrays keep their storage across refills (a drained queue starts again at 0,
 * a long one moves its open part to the front in place): a steady stream of attempts allocates
 * nothing here. Places outside `head..tail` hold nothing (an item is not kept alive by a queue
 * it left).
 */
class AttemptQueue {
  readonly attempts: (Attempt | undefined)[] = [];
  readonly settles: (Settle | undefined)[] = [];
  head = 0;
  tail = 0;

  push(attempt: Attempt, settle: Settle): void {
    const t = this.tail++;
    if (t < this.attempts.length) {
      this.attempts[t] = attempt;
      this.settles[t] = settle;
    } else {
      this.attempts.push(attempt);
      this.settles.push(settle);
    }
  }

  /** Takes the last attempt pushed (which must be open) out of the queue. */
  pop(): [Attempt, Settle] {
    const t = --this.tail;
    const taken: [Attempt, Settle] = [this.attempts[t]!, this.settles[t]!];
    this.attempts[t] = undefined;
    this.settles[t] = undefined;
    return taken;
  }

  /** Skips settled attempts at the head; true while one is open. */
  hasOpen(): boolean {
    const s = this.settles;
    while (this.head < this.tail && s[this.head] === undefined) this.attempts[this.head++] = undefined;
    if (this.head < this.tail) return true;
    this.clear();
    return false;
  }

  /** Calls `fn` with every open attempt and its place. */
  forEachOpen(fn: (attempt: Attempt, settle: Settle, i: number) => void): void {
    const s = this.settles;
    for (let i = this.head; i < this.tail; i++) {
      const settle = s[i];
      if (settle !== undefined) fn(this.attempts[i]!, settle, i);
    }
  }

  /** Empties the queue, keeping its storage. */
  clear(): void {
    this.attempts.fill(undefined, this.head, this.tail);
    this.settles.fill(undefined, this.head, this.tail);
    this.head = 0;
    this.tail = 0;
  }

  /** After a take: starts again at 0 when drained; moves a long queue's open part to the front. */
  compact(): void {
    const head = this.head;
    if (head === this.tail) {
      this.head = 0;
      this.tail = 0;
    } else if (head > 1024 && head * 2 > this.tail) {
      const n = this.tail - head;
      this.attempts.copyWithin(0, head, this.tail).fill(undefined, n, this.tail);
      this.settles.copyWithin(0, head, this.tail).fill(undefined, n, this.tail);
      this.head = 0;
      this.tail = n;
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
    const [attempt, settle] = this.#again.pop();
    this.#alone.push(attempt, settle);
  }

  /** True while an attempt waits to go alone. */
  hasAlone(): boolean {
    return this.#alone.hasOpen();
  }

  /** Adds the next attempt to go alone to `batch` (call after {@link hasAlone} said there is one). */
  takeAlone(batch: AttemptBatch): void {
    const q = this.#alone;
    const i = q.head++;
    batch.add(q.attempts[i]!, q.settles[i]!);
    q.attempts[i] = undefined;
    q.settles[i] = undefined;
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
      const end = q.tail;
      while (k < n && i < end) {
        const settle = settles[i];
        if (settle !== undefined) {
          batch.add(attempts[i]!, settle);
          settles[i] = undefined;
          k++;
        }
        attempts[i] = undefined;
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
