import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";
import type { PendingAttempt } from "./PendingAttempt.js";

/** A batch of attempts as its executor made it: the pool carries it to a worker and back. */
export class AttemptBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;

  constructor(
    readonly id: number,
    /** Its attempts, by position in the batch. */
    readonly entries: PendingAttempt[],
    readonly limitMs: number | undefined,
    readonly isolated: boolean,
    readonly timeoutMs: number | undefined,
  ) {}

  get size(): number {
    return this.entries.length;
  }
}
