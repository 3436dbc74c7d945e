import type { Attempt, BatchSettle, Settle } from "../../Executor.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";

/**
 * A batch of attempts as its executor made it: the pool carries it to a worker and back. Held in
 * parallel arrays (no object per item): position `k` is `attempts[k]`, settled through
 * `settles[k]` until that is cleared (settled exactly once). `items` is what the message carries.
 */
export class AttemptBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  /** Its attempts, by position in the batch. */
  readonly attempts: Attempt[] = [];
  /** Each attempt's settle; undefined once it settled. */
  readonly settles: (Settle | undefined)[] = [];
  /** Each attempt's item, as sent. */
  readonly items: unknown[] = [];
  /** Attempts not settled yet. */
  open = 0;
  /** The signal of its first attempt. */
  signal: AbortSignal | undefined = undefined;
  /** True when all its attempts share {@link signal}. */
  oneSignal = true;
  /** The runner that owns every settle of the batch, when one does and it resolves in batches. */
  owner: BatchSettle | undefined = undefined;

  constructor(
    readonly id: number,
    readonly limitMs: number | undefined,
    readonly isolated: boolean,
    readonly timeoutMs: number | undefined,
  ) {}

  get size(): number {
    return this.attempts.length;
  }

  /** Appends an attempt. */
  add(attempt: Attempt, settle: Settle): void {
    const k = this.attempts.length;
    this.attempts.push(attempt);
    this.settles.push(settle);
    this.items.push(attempt.item);
    this.open++;
    if (k === 0) {
      this.signal = attempt.signal;
      this.owner = settle.owner;
    } else {
      if (attempt.signal !== this.signal) this.oneSignal = false;
      if (settle.owner !== this.owner) this.owner = undefined;
    }
  }
}
