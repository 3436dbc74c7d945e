import type { Clock } from "../../../time/Clock.js";
import { CELL_AT, CELL_ITEMS, cellInBatch, cellItem } from "../wire/ItemCell.js";
import type { ProgressMessage } from "../wire/WireMessage.js";
import type { PoolBatch } from "./PoolClient.js";
import type { PoolWorker, StopReason } from "./PoolWorker.js";

/**
 * Reads of a thread's item cell per `timeoutMs` while it holds timed batches: an item is first
 * seen at most this fraction of its timeout after it started, so it is judged stuck within
 * `(1 + 1/8) × timeoutMs` of its start, before the batch's own limit (its timeout plus its
 * expected work plus `cancelGraceMs`) would stop the worker.
 */
const READS_PER_TIMEOUT = 8;

/** What the watchdog needs from its pool. */
export interface WatchdogHost {
  stop(w: PoolWorker, reason: StopReason): void;
  /** Sends what waits (after batches were given back to their clients). */
  pump(): void;
}

/**
 * Times the work of each worker of a pool whose stage has a timeout, from where the worker says
 * its loop is (progress notes) and when it started on its oldest batch. An item that has been
 * inside its synchronous call for its whole timeout fails there and then, what its worker holds
 * goes to other workers, and the worker is stopped unless it shows life within `cancelGraceMs`
 * (`"stuck"`). A batch past its limit (the stage's timeout plus its expected work, plus
 * `cancelGraceMs`) stops its worker (`"overdue"`) after the batches not to blame went elsewhere.
 */
export class Watchdog {
  readonly #clock: Clock;
  readonly #graceMs: number;
  readonly #host: WatchdogHost;

  /** @param graceMs `cancelGraceMs` */
  constructor(clock: Clock, graceMs: number, host: WatchdogHost) {
    this.#clock = clock;
    this.#graceMs = graceMs;
    this.#host = host;
  }

  /** The worker starts on its oldest batch now (if its module has loaded): watch its limit. */
  headChanged(w: PoolWorker): void {
    w.headSince = this.#clock.now();
    this.#arm(w);
  }

  /** A progress note: one per item of a timed chain whose items are not tiny, so kept cheap. */
  progress(w: PoolWorker, m: ProgressMessage): void {
    const now = this.#clock.now();
    w.noteProgress(m.b, m.k, now);
    // a later note only moves deadlines later (an armed watchdog re-arms itself when it fires);
    // a note that enters an item may bring its deadline before the oldest batch's
    const timeoutMs = w.progressBatch?.timeoutMs;
    if (w.watchdog === undefined || (m.k >= 0 && timeoutMs !== undefined && now + timeoutMs < w.watchAt)) this.#arm(w);
  }

  /**
   * Arms the worker's timer for its earliest deadline (see {@link PoolWorker.deadline}).
   * Deadlines only move later, except when a new batch becomes the oldest: then the timer is
   * re-armed.
   */
  #arm(w: PoolWorker): void {
    if (!w.ready || w.stopped !== undefined || w.hung !== undefined) return;
    const at = w.deadline(this.#graceMs);
    if (at >= w.watchAt) return;
    w.watchdog?.cancel();
    w.watchAt = at;
    if (at === Infinity) {
      w.watchdog = undefined;
      return;
    }
    w.watchdog = this.#clock.setTimer(
      () =>
        // judged after this turn's I/O: when this process was busy past the deadline, notes and
        // replies the worker sent meanwhile wait to be read, and a timer runs before them
        setImmediate(() => {
          w.watchdog = undefined;
          w.watchAt = Infinity;
          this.#fired(w);
        }),
      Math.max(0, at - this.#clock.now()),
    );
  }

  #fired(w: PoolWorker): void {
    if (w.stopped !== undefined || w.hung !== undefined) return;
    const now = this.#clock.now();
    const b = w.progressBatch;
    if (b !== undefined && w.progressK >= 0 && b.timeoutMs !== undefined && now >= w.progressSince + b.timeoutMs) {
      this.#stuckItem(w, b, w.progressK);
      return;
    }
    if (this.#sampled(w, now)) return;
    const head = w.batches.values().next();
    if (head.done !== true && now >= w.deadline(this.#graceMs)) {
      // inside a batch not noted item by item: one of its items is stuck, the other batches are
      // not to blame and go elsewhere now; the batch's items are sent again alone (see Blame)
      const suspect = w.progressBatch;
      if (suspect !== undefined) {
        for (const [batch, client] of w.takeBatches(suspect)) client.resend(batch, -1);
        this.#host.pump();
      }
      w.overdue = suspect ?? head.value[0];
      this.#host.stop(w, "overdue");
      return;
    }
    this.#arm(w);
  }

  /**
   * Reads a thread's item cell (see `ItemCell`) when it holds timed batches: a thread found in the
   * same item of a timed batch it holds as `timeoutMs` ago (both words alike: it entered no item
   * since) has been inside that item's synchronous call all that while, and the item is stuck, as
   * a noted one is. So an item of a batch that is not noted item by item (fast items) fails within
   * `(1 + 1/READS_PER_TIMEOUT) × timeoutMs` of its start, alone and in its first run, where the
   * batch's limit would stop the worker later and send each of the batch's items again alone to
   * find it. Returns true when it judged an item stuck; otherwise sets when to read next.
   */
  #sampled(w: PoolWorker, now: number): boolean {
    const cell = w.handle.cell;
    if (cell === undefined) return false;
    const period = w.heldTimeoutMs();
    if (period === undefined) return false;
    const items = Atomics.load(cell, CELL_ITEMS);
    const at = Atomics.load(cell, CELL_AT);
    const next = now + Math.max(1, period / READS_PER_TIMEOUT);
    if (at >= 0 && items === w.sampledItems && at === w.sampledPosition) {
      for (const [batch] of w.batches.values()) {
        if (!cellInBatch(at, batch.id) || batch.timeoutMs === undefined) continue;
        const due = w.sampledSince + batch.timeoutMs;
        if (now >= due) {
          this.#stuckItem(w, batch, cellItem(at));
          return true;
        }
        // the same item, not yet its timeout: read again then, or sooner (it may end, and the
        // next one be the stuck one)
        w.sampleDue = Math.min(due, next);
        return false;
      }
    }
    w.sampledItems = items;
    w.sampledPosition = at;
    w.sampledSince = now;
    w.sampleDue = next;
    return false;
  }

  /**
   * Item `k` of `batch` has been inside its function's synchronous call for its whole timeout:
   * it fails with a `TimeoutError` now, everything else the worker holds goes to other workers
   * now, and the worker is stopped unless it shows life within `cancelGraceMs` (the item may
   * still return).
   */
  #stuckItem(w: PoolWorker, batch: PoolBatch, k: number): void {
    const held = w.takeBatches();
    w.hung = this.#clock.setTimer(() => {
      w.hung = undefined;
      this.#host.stop(w, "stuck");
    }, this.#graceMs);
    for (const [b, client] of held) client.resend(b, b === batch ? k : -1);
    this.#host.pump();
  }
}
