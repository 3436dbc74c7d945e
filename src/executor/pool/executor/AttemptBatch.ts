import type { Attempt, BatchSettle, Settle } from "../../Executor.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";

/**
 * A batch of attempts as its executor made it: the pool carries it to a worker and back. Held in
 * parallel arrays (no object per item), each allocated once at the batch's size: position `k` is
 * `attempts[k]`, settled through `settles[k]` until that is cleared (settled exactly once).
 * `items` is what the message carries.
 */
export class AttemptBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  /** Its attempts, by position in the batch. */
  readonly attempts: Attempt[];
  /** Each attempt's settle; undefined once it settled. */
  readonly settles: (Settle | undefined)[];
  /** Each attempt's item, as sent. */
  readonly items: unknown[];
  /** Attempts added so far (the batch holds {@link size} once full). */
  #added = 0;
  /** Attempts not settled yet. */
  open = 0;
  /** The signal of its first attempt. */
  signal: AbortSignal | undefined = undefined;
  /** True when all its attempts share {@link signal}. */
  oneSignal = true;
  /** The runner that owns every settle of the batch, when one does and it resolves in batches. */
  owner: BatchSettle | undefined = undefined;

  /** Its attempts: the room it was made with, or fewer once {@link seal}ed. */
  size: number;

  /** A batch of room for `size` attempts, to be filled by calls of {@link add}, then sealed. */
  constructor(
    readonly id: number,
    size: number,
    readonly limitMs: number | undefined,
    readonly isolated: boolean,
    readonly timeoutMs: number | undefined,
  ) {
    this.size = size;
    this.attempts = new Array<Attempt>(size);
    this.settles = new Array<Settle | undefined>(size);
    this.items = new Array<unknown>(size);
  }

  /** Adds the next attempt (at most {@link size} in all). */
  add(attempt: Attempt, settle: Settle): void {
    const k = this.#added++;
    this.attempts[k] = attempt;
    this.settles[k] = settle;
    this.items[k] = attempt.item;
    this.open++;
    if (k === 0) {
      this.signal = attempt.signal;
      this.owner = settle.owner;
    } else {
      if (attempt.signal !== this.signal) this.oneSignal = false;
      if (settle.owner !== this.owner) this.owner = undefined;
    }
  }

  /** Ends filling: a batch given fewer attempts than its room shrinks to them. */
  seal(): void {
    const n = this.#added;
    if (n === this.size) return;
    this.attempts.length = n;
    this.settles.length = n;
    this.items.length = n;
    this.size = n;
  }
}
