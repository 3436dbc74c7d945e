import type { TimerHandle } from "../../../time/Clock.js";
import type { PoolBatch, PoolClient } from "./PoolClient.js";
import type { WorkerHandle } from "../handle/WorkerHandle.js";

/** Why the pool stopped a worker. */
export type StopReason = "idle" | "retired" | "stuck" | "overdue" | "closed" | "unloadable" | "frozen" | "unresponsive";

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
   * Its module has loaded: time from now on is work. A worker that dies before is a start-up
   * failure; one that dies after, even on its first batch, was killed by an item.
   */
  ready = false;
  /** When it started on its oldest batch (the one it works on), on the pool's clock. */
  headSince = 0;
  /** When it last reported progress (a note or a reply), on the pool's clock. */
  progressAt = 0;
  /**
   * Where its loop is, from its last progress note (chains with a timeout): in item `progressK`
   * (-1: somewhere in the batch, not noted item by item) of `progressBatch` since `progressSince`
   * (when the note arrived, on the pool's clock); no batch when in no noted item.
   */
  progressBatch: PoolBatch | undefined;
  progressK = -1;
  progressSince = 0;
  /** Fires at the earliest deadline of its progress or its oldest batch; `watchAt` is when. */
  watchdog: TimerHandle | undefined;
  watchAt = Infinity;
  /** The batch it was stopped for running past its limit. */
  overdue: PoolBatch | undefined;
  /**
   * Set after an item ran past its timeout inside its synchronous call and everything the worker
   * held went elsewhere: stops it unless it shows life first.
   */
  hung: TimerHandle | undefined;
  /** Stopped gracefully: ends it by force unless it exits first. */
  killTimer: TimerHandle | undefined;
  /** When its unanswered heartbeat was sent (-1: none outstanding), and that heartbeat's number. */
  pingAt = -1;
  pingSeq = 0;
  /** A check of its process state is under way. */
  checking = false;
  /**
   * Its item cell (threads: see `ItemCell`) as the watchdog last read it (`sampledItems`,
   * `sampledPosition`), since when it has read those same words (`sampledSince`), and when it
   * reads them next (`sampleDue`), all on the pool's clock: the same words `timeoutMs` after
   * they were first read mean an item stuck all that while.
   */
  sampledItems = 0;
  sampledPosition = -1;
  sampledSince = 0;
  sampleDue = 0;

  constructor(handle: WorkerHandle) {
    this.handle = handle;
  }

  /** The earliest `timeoutMs` among the batches it holds (undefined: none is timed). */
  heldTimeoutMs(): number | undefined {
    let least: number | undefined;
    for (const held of this.batches.values()) {
      const t = held[0].timeoutMs;
      if (t !== undefined && (least === undefined || t < least)) least = t;
    }
    return least;
  }

  /** Records a progress note (see ProgressMessage) that arrived at `now`. */
  noteProgress(b: number, k: number, now: number): void {
    this.progressAt = now;
    const batch = this.progressBatch;
    if (batch === undefined || batch.id !== b) this.progressBatch = b < 0 ? undefined : this.batches.get(b)?.[0];
    this.progressK = k;
    this.progressSince = now;
  }

  /**
   * Takes the batches it holds (all, or all but `keep`) away from it, to send elsewhere or fail,
   * with their cancel timers; without `keep`, its watchdog too.
   */
  takeBatches(keep?: PoolBatch): Array<[PoolBatch, PoolClient]> {
    const taken: Array<[PoolBatch, PoolClient]> = [];
    for (const [id, held] of [...this.batches]) {
      if (held[0] === keep) continue;
      taken.push(held);
      this.batches.delete(id);
      this.cancelGrace(id);
    }
    if (keep === undefined) {
      this.progressBatch = undefined;
      this.watchdog?.cancel();
      this.watchdog = undefined;
      this.watchAt = Infinity;
    }
    return taken;
  }

  /** Notes the timer that stops it unless item `k` of batch `b`, cancelled, stops in time. */
  armGrace(b: number, k: number, timer: TimerHandle): void {
    let timers = this.grace.get(b);
    if (timers === undefined) this.grace.set(b, (timers = new Map()));
    timers.set(k, timer);
  }

  /** Cancelled item `k` of batch `b` stopped: its timer goes; true when no cancelled item is left running. */
  cancelStopped(b: number, k: number): boolean {
    const timers = this.grace.get(b);
    timers?.get(k)?.cancel();
    timers?.delete(k);
    if (timers?.size === 0) this.grace.delete(b);
    return this.grace.size === 0;
  }

  /** Cancels the cancel grace timers of batch `id`. */
  cancelGrace(id: number): void {
    const timers = this.grace.get(id);
    if (timers === undefined) return;
    for (const t of timers.values()) t.cancel();
    this.grace.delete(id);
  }

  /** Cancels every timer it holds (it exited). */
  clearTimers(): void {
    for (const timers of this.grace.values()) for (const t of timers.values()) t.cancel();
    this.grace.clear();
    this.watchdog?.cancel();
    this.watchdog = undefined;
    this.hung?.cancel();
    this.hung = undefined;
    this.killTimer?.cancel();
    this.killTimer = undefined;
  }

  /**
   * Its earliest deadline, on the pool's clock: the noted item's timeout, from when it entered its
   * function; for a thread holding timed batches, the next read of its item cell; and, as a
   * backstop, its oldest batch's limit (the stage's timeout plus the batch's expected work) plus
   * `graceMs`, from when it started on that batch or last reported progress, whichever is later.
   * Infinity when it has none.
   */
  deadline(graceMs: number): number {
    let at = Infinity;
    const b = this.progressBatch;
    if (b !== undefined && this.progressK >= 0 && b.timeoutMs !== undefined) at = this.progressSince + b.timeoutMs;
    if (this.handle.cell !== undefined && this.heldTimeoutMs() !== undefined) at = Math.min(at, this.sampleDue);
    const head = this.batches.values().next();
    if (head.done !== true) {
      const limit = head.value[0].limitMs;
      if (limit !== undefined) at = Math.min(at, Math.max(this.headSince, this.progressAt) + limit + graceMs);
    }
    return at;
  }
}
