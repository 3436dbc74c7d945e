import type { Attempt, Settle } from "../../Executor.js";
import type { AttemptBatch } from "./AttemptBatch.js";

/**
 * One queue of attempts in parallel ring buffers (no object per item): the attempt at position
 * `p` (counted from the first ever queued) lives at `p & mask`; `settles` there is cleared when it
 * settles while queued. `head` is the first position that may still be open, `tail` one past the
 * last. The storage is kept across refills and doubles when full (positions stay valid), so a
 * steady stream of attempts allocates and copies nothing here; places outside `head..tail` hold
 * nothing (an item is not kept alive by a queue it left).
 */
class AttemptQueue {
  attempts: (Attempt | undefined)[] = new Array<Attempt | undefined>(16).fill(undefined);
  settles: (Settle | undefined)[] = new Array<Settle | undefined>(16).fill(undefined);
  mask = 15;
  head = 0;
  tail = 0;

  push(attempt: Attempt, settle: Settle): void {
    if (this.tail - this.head > this.mask) this.#grow();
    const i = this.tail++ & this.mask;
    this.attempts[i] = attempt;
    this.settles[i] = settle;
  }

  /** Twice the room, each queued attempt at the same position. */
  #grow(): void {
    const mask = this.mask * 2 + 1;
    const attempts = new Array<Attempt | undefined>(mask + 1).fill(undefined);
    const settles = new Array<Settle | undefined>(mask + 1).fill(undefined);
    for (let p = this.head; p < this.tail; p++) {
      attempts[p & mask] = this.attempts[p & this.mask];
      settles[p & mask] = this.settles[p & this.mask];
    }
    this.attempts = attempts;
    this.settles = settles;
    this.mask = mask;
  }

  /** Takes the last attempt pushed (which must be open) out of the queue. */
  pop(): [Attempt, Settle] {
    const i = --this.tail & this.mask;
    const taken: [Attempt, Settle] = [this.attempts[i]!, this.settles[i]!];
    this.attempts[i] = undefined;
    this.settles[i] = undefined;
    return taken;
  }

  /** Takes the attempt at the head (which must be open) out of the queue. */
  shift(): [Attempt, Settle] {
    const i = this.head++ & this.mask;
    const taken: [Attempt, Settle] = [this.attempts[i]!, this.settles[i]!];
    this.attempts[i] = undefined;
    this.settles[i] = undefined;
    this.rewind();
    return taken;
  }

  /** Skips settled attempts at the head; true while one is open. */
  hasOpen(): boolean {
    while (this.head < this.tail && this.settles[this.head & this.mask] === undefined)
      this.attempts[this.head++ & this.mask] = undefined;
    this.rewind();
    return this.head < this.tail;
  }

  /** Calls `fn` with every open attempt and its position (new ones queued meanwhile included). */
  forEachOpen(fn: (attempt: Attempt, settle: Settle, p: number) => void): void {
    for (let p = this.head; p < this.tail; p++) {
      const settle = this.settles[p & this.mask];
      if (settle !== undefined) fn(this.attempts[p & this.mask]!, settle, p);
    }
  }

  /** Marks the attempt at position `p` settled. */
  clearAt(p: number): void {
    this.settles[p & this.mask] = undefined;
  }

  /** Empties the queue, keeping its storage. */
  clear(): void {
    for (let p = this.head; p < this.tail; p++) {
      this.attempts[p & this.mask] = undefined;
      this.settles[p & this.mask] = undefined;
    }
    this.head = 0;
    this.tail = 0;
  }

  /** Once empty, positions start again at 0 (they stay small integers). */
  rewind(): void {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
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
    const [attempt, settle] = this.#alone.shift();
    batch.add(attempt, settle);
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
      const mask = q.mask;
      let p = q.head;
      const end = q.tail;
      while (k < n && p < end) {
        const i = p & mask;
        const settle = settles[i];
        if (settle !== undefined) {
          batch.add(attempts[i]!, settle);
          settles[i] = undefined;
          k++;
        }
        attempts[i] = undefined;
        p++;
      }
      q.head = p;
      q.rewind();
      if (k === n) break;
    }
    this.pending -= n;
  }

  /** Calls `fn` with every open attempt still queued, and a function that clears its place. */
  forEachOpen(fn: (attempt: Attempt, settle: Settle, remove: () => void) => void): void {
    for (const q of [this.#fresh, this.#alone, this.#again]) {
      q.forEachOpen((attempt, settle, p) => fn(attempt, settle, () => q.clearAt(p)));
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
