import type { Settle } from "../../Executor.js";
import type { AttemptBatch } from "./AttemptBatch.js";

/** One attempt of a pool stage, from `execute` until it settles. */
export class PendingAttempt {
  /** Settled (exactly once, through the executor). */
  done = false;
  /** The batch carrying it, while one does. */
  batch: AttemptBatch | undefined = undefined;
  /** Its position in that batch. */
  k = 0;
  /** It shared a batch with a worker's failure: it goes again alone, not counted as an attempt. */
  isolated = false;

  constructor(
    readonly item: unknown,
    readonly index: number,
    readonly attempt: number,
    readonly signal: AbortSignal,
    readonly settle: Settle,
    /** The attempt's own `retryAfter` (the runner's, bound once per slot), called with what `ctx.retryAfter` got in the worker. */
    readonly retryAfter: ((ms: number) => void) | undefined,
  ) {}
}
