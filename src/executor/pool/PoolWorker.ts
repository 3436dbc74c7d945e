import type { TimerHandle } from "../../time/Clock.js";
import type { PoolBatch, PoolClient } from "./PoolClient.js";
import type { WorkerHandle } from "./WorkerHandle.js";

/** Why the pool stopped a worker. */
export type StopReason = "idle" | "retired" | "stuck" | "overdue" | "closed";

/** One live worker and what it holds. */
export class PoolWorker {
  readonly handle: WorkerHandle;
  /** Batches sent and not yet answered, by id, with their client. */
  readonly batches = new Map<number, [PoolBatch, PoolClient]>();
  /** Cancel grace timers, by batch id then item position. */
  readonly grace = new Map<number, Map<number, TimerHandle>>();
  /** Items sent to it so far. */
  taken = 0;
  /** No more batches go to it; it stops once it holds none. */
  retiring = false;
  /** Why the pool stopped it, when the pool did. */
  stopped: StopReason | undefined;
  idleSince = 0;
  /** Last loop delay reported, in ms (-1 before the first report). */
  loopDelayMs = -1;
  memoryMb = 0;
  referenced = false;
  /**
   * Its module has loaded (or failed to, which its items report): time from now on is work. A
   * worker that dies before is a start-up failure; one that dies after, even on its first batch,
   * was killed by an item.
   */
  ready = false;
  /** When it started on its oldest batch (the one it works on), on the pool's clock. */
  headSince = 0;
  /** Fires when the oldest batch runs past its limit. */
  watchdog: TimerHandle | undefined;
  /** The batch it was stopped for running past its limit. */
  overdue: PoolBatch | undefined;

  constructor(handle: WorkerHandle) {
    this.handle = handle;
  }
}
