import { CancelledError } from "../../../errors/CancelledError.js";
import { TimeoutError } from "../../../errors/TimeoutError.js";
import { systemClock } from "../../../time/Clock.js";
import { BatchRun, DONE, LINGERING, OPEN } from "./BatchRun.js";
import { ChainRunner, isThenable, type WorkerStageFunction } from "./ChainRunner.js";
import { retryAfterCount, retryAfters } from "./ItemContext.js";
import { LoopMeter } from "./LoopMeter.js";
import { ReceivedBatches } from "./ReceivedBatches.js";
import { failedItem, sendResult } from "./sendResult.js";
import { WorkerChains } from "./WorkerChains.js";
import { WorkerModule } from "./WorkerModule.js";
import type { WorkerPort } from "./WorkerPort.js";
import { CELL_AT, CELL_ITEMS, cellAt } from "../wire/ItemCell.js";
import { rebuildError, serializeError, type SerializedError } from "../wire/SerializedError.js";
import {
  MSG_BATCH,
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_CLOSE,
  MSG_CLOSING,
  MSG_HELD,
  MSG_LOAD_FAILED,
  MSG_OVERRAN,
  MSG_PING,
  MSG_PONG,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULT,
  MSG_START,
  MSG_UNCHAIN,
  type BatchMessage,
  type WorkerEnd,
  type FailedItem,
  type ToWorker,
} from "../wire/WireMessage.js";

export type { WorkerPort } from "./WorkerPort.js";

/**
 * In a chain with a timeout, items that take at least this long (ms, this worker's running
 * estimate) have their start noted to the parent one by one, so the parent can time a stuck
 * synchronous item from its own start. A note costs a few µs between the two sides (tiny items
 * noted one by one ran 3-5× slower); below this, a batch is noted once (see ProgressMessage).
 */
const NOTE_EACH_MIN_MS = 0.1;

/**
 * Everything that runs inside a worker thread or child process, whatever the transport: loads
 * the module and runs its `setup` (or reports that either failed, and runs nothing), declares
 * chains, runs batches with at most `concurrencyPerWorker` items inside the functions at once,
 * measures time per item, loop delay and memory, answers heartbeats from its event loop, notes
 * item starts of timed chains, honours cancellations, and on a graceful close lets its items
 * out, runs the module's `teardown` and exits.
 */
export class WorkerRuntime {
  readonly #port: WorkerPort;
  readonly #chains: WorkerChains;
  /** Batches started and not answered yet. */
  readonly #open = new Map<number, BatchRun>();
  readonly #meter: LoopMeter;
  readonly #lifecycle: WorkerModule;
  /** The module's exports, once it loaded and its setup ran. */
  #module: Record<string, unknown> | undefined;
  /** Why the pool closes this worker, once it said so: nothing more starts. */
  #closing: WorkerEnd | undefined;
  /** Batches received and not started; they start one per loop turn once the module has loaded. */
  readonly #received = new ReceivedBatches();
  /** The started batch whose items are still being started, in order. */
  #current: BatchRun | undefined;
  /** Items inside the functions asynchronously (a promise neither settled nor timed out). */
  #inFunction = 0;
  /** Most items inside the functions at once (the pool's `concurrencyPerWorker`). */
  #limit = 1;
  #scheduled = false;
  /** Closing and out of items: teardown runs, then the worker exits. */
  #exiting = false;
  /** The last progress note said the loop is busy with items: a note says when it is not. */
  #busyNoted = false;
  /**
   * A synchronous item noted to the parent ran past its timeout: the parent may have judged it
   * stuck and sent this worker's other batches elsewhere. Nothing starts until it says which
   * batches this worker still holds (see #held).
   */
  #askedHeld = false;
  /** Where this thread's loop is, for its pool to read (threads only: see ItemCell). */
  readonly #cell: Int32Array | undefined;
  /** Items of timed chains entered so far (the cell's count). */
  #entered = 0;
  /**
   * When the synchronous item just before ended, in this same run of starts (-1: none, or not
   * known): the next item of a timed chain starts then, so it costs one clock read, not two.
   */
  #endedAt = -1;
  readonly #runNext = (): void => {
    this.#scheduled = false;
    if (this.#askedHeld) return;
    if (this.#current === undefined) {
      const next = this.#received.shift();
      if (next !== undefined) this.#begin(next[0], next[1]);
    }
    this.#advance();
  };

  /** @param cell where this thread's loop is, for its pool to read (threads; see ItemCell) */
  constructor(moduleUrl: string, context: "worker" | "process", port: WorkerPort, cell?: Int32Array) {
    this.#port = port;
    this.#cell = cell;
    this.#chains = new WorkerChains(moduleUrl);
    this.#meter = new LoopMeter(() => port.memoryMb());
    this.#lifecycle = new WorkerModule(moduleUrl, context, {
      ready: (exports) => {
        if (this.#closing !== undefined) return;
        this.#module = exports;
        this.#port.send({ t: MSG_READY }, undefined);
        this.#schedule();
      },
      // the pool stops this worker and starts another: a module that failed to load once may load
      // the next time (a transient fault), and what this worker holds never ran
      failed: (error, inSetup) =>
        this.#port.send({ t: MSG_LOAD_FAILED, e: serializeError(error), s: inSetup ? 1 : 0 }, undefined),
    });
  }

  /** Handles one message from the parent. */
  receive(message: ToWorker): void {
    switch (message.t) {
      case MSG_BATCH:
        this.#received.push(message);
        this.#schedule();
        break;
      case MSG_CHAIN:
        this.#chains.declare(message);
        this.#limit = Math.max(1, message.p);
        break;
      case MSG_UNCHAIN:
        this.#chains.forget(message.id);
        break;
      case MSG_CANCEL:
        this.#cancel(message.b, message.k, message.r);
        break;
      case MSG_PING:
        this.#port.send({ t: MSG_PONG, s: message.s }, undefined);
        break;
      case MSG_START:
        this.#lifecycle.start(message.d);
        break;
      case MSG_CLOSE:
        this.#close(message.r);
        break;
      case MSG_HELD:
        this.#held(message.b);
        break;
    }
  }

  /** Stops measuring (lets the thread or process end). */
  close(): void {
    this.#meter.close();
  }

  /**
   * Starts the next batch on a later turn of the loop, not inside the message handler: a port
   * delivers queued messages back to back in one go, and a pool keeps a worker's queue full, so
   * running batches there would starve the worker's timers (an async item's own timers, its
   * timeout) for as long as work keeps coming.
   */
  #schedule(): void {
    if (
      this.#scheduled ||
      this.#askedHeld ||
      this.#module === undefined ||
      this.#closing !== undefined ||
      this.#current !== undefined ||
      this.#received.empty ||
      this.#inFunction >= this.#limit
    )
      return;
    this.#scheduled = true;
    setImmediate(this.#runNext);
  }

  /** Makes batch `m` the current one (or fails all its items when its chain cannot run). */
  #begin(m: BatchMessage, early: Map<number, unknown> | undefined): void {
    const chain = this.#chains.runner(m.c, this.#module!);
    if (!(chain instanceof ChainRunner)) {
      const n = m.x.length;
      const errors: FailedItem[] = [];
      for (let k = 0; k < n; k++) errors.push([k, chain]);
      const now = performance.now();
      this.#reply(m.b, new Array<unknown>(n), errors, null, now, now, n, null);
      return;
    }
    const timeoutMs = this.#chains.timeoutOf(m.c);
    // an unknown estimate (NaN) notes each item (the first batches of a chain are small), and so
    // does a batch of one (an item sent alone after its worker was stopped)
    const noteEach = timeoutMs !== undefined && (m.x.length === 1 || !(this.#chains.perItemMs(m.c) < NOTE_EACH_MIN_MS));
    const run = new BatchRun(m, chain, timeoutMs, noteEach, early);
    this.#open.set(m.b, run);
    this.#current = run;
    if (timeoutMs !== undefined && !noteEach) this.#note(m.b, -1);
  }

  /** Starts the current batch's items while the per-worker concurrency allows. */
  #advance(): void {
    const run = this.#current;
    this.#endedAt = -1;
    if (run !== undefined && this.#closing === undefined) {
      const plain = run.chain.plain;
      // (a timeout notes and times each item, and an item cancelled early must not start)
      if (plain !== undefined && run.timeoutMs === undefined && run.early === undefined) this.#runPlain(run, plain);
      while (run.next < run.size) {
        if (this.#inFunction >= this.#limit || this.#askedHeld) {
          this.#noteIdle();
          return;
        }
        this.#start(run, run.next++);
      }
      this.#current = undefined;
    }
    this.#noteIdle();
    this.#schedule();
  }

  /**
   * {@link WorkerRuntime.#start} for the items of a batch whose chain is plain
   * ({@link ChainRunner.plain}: one `map` whose function cannot see its context), with no timeout
   * and no item cancelled before it started: one loop calls the function on item after item and
   * keeps each value in its place, with nothing else per item. An item that throws or returns a
   * promise is handled as #start handles it. Stops where the promises in flight reach the
   * per-worker concurrency; #advance goes on from there.
   */
  #runPlain(run: BatchRun, fn: WorkerStageFunction): void {
    const x = run.message.x;
    const values = run.values;
    const state = run.state;
    const n = run.size;
    let k = run.next;
    if (k === 0) run.startedAt = systemClock.now();
    let finished = 0;
    while (k < n && this.#inFunction < this.#limit) {
      let r: unknown;
      let thenable: boolean;
      try {
        r = fn(x[k], undefined);
        // (a `then` getter that throws fails its item, as in ChainRunner.run)
        thenable = isThenable(r);
      } catch (error) {
        (run.errors ??= []).push(failedItem(this.#port, k, error, undefined, run.chain.stage));
        state[k++] = DONE;
        finished++;
        continue;
      }
      if (thenable) {
        const at = k++;
        // an item that waits has a context (what the runtime cancels it through), as in #start
        run.context(at);
        this.#wait(run, at, run.chain.awaited(r as PromiseLike<unknown>));
        continue;
      }
      values[k] = r;
      state[k++] = DONE;
      finished++;
    }
    run.next = k;
    run.finished += finished;
    if (finished > 0 && run.finished === n) this.#finish(run);
  }

  #note(b: number, k: number): void {
    this.#busyNoted = b >= 0;
    this.#port.send({ t: MSG_PROGRESS, b, k }, undefined);
  }

  /**
   * The loop leaves the items it started (their promises wait, or the batch is done): tells the
   * parent, by a note when it noted them, and in its cell.
   */
  #noteIdle(): void {
    if (this.#busyNoted) this.#note(-1, -1);
    if (this.#cell !== undefined) this.#cell[CELL_AT] = -1;
  }

  #start(run: BatchRun, k: number): void {
    const early = run.early;
    if (early !== undefined && early.has(k)) {
      const ctx = run.context(k);
      // cancelled before it started: it does not start. Its attempt already settled in the parent,
      // which was told at once (no cancel grace is left running for it), so a function deaf to its
      // signal would hold this worker for good.
      (run.errors ??= []).push(failedItem(this.#port, k, early.get(k), ctx, run.chain.stage));
      this.#endedAt = -1; // its error took its time: the next item reads the clock afresh
      if (run.finish(k, DONE)) this.#finish(run);
      return;
    }
    const timeoutMs = run.timeoutMs;
    if (run.noteEach) {
      this.#note(run.id, k);
      this.#endedAt = -1; // the note took its time: this item starts after it
    }
    // with a timeout, each item is timed from its own start: where the item before it ended, when
    // that one was synchronous and ended in this same run of starts, else read now
    // (the clock of the item path: `performance` read once, not through its global getter per item)
    const began = timeoutMs === undefined ? 0 : this.#endedAt >= 0 ? this.#endedAt : systemClock.now();
    const cell = this.#cell;
    if (timeoutMs !== undefined && cell !== undefined) {
      // (a plain store each: the pool acts only on two reads that agree on both words)
      cell[CELL_ITEMS] = ++this.#entered;
      cell[CELL_AT] = cellAt(run.id, k);
    }
    if (k === 0) run.startedAt = timeoutMs === undefined ? systemClock.now() : began;
    this.#endedAt = -1;
    // a function that cannot see its context gets none: a synchronous item then costs no object
    const ctx = run.chain.readsContext ? run.context(k) : undefined;
    try {
      const r = run.chain.run(run.message.x[k], ctx);
      if (r instanceof Promise) {
        // an item that waits has a context all the same (its function cannot see it): it is
        // what the runtime cancels, times out and fails it through
        if (ctx === undefined) run.context(k);
        if (timeoutMs !== undefined) this.#timeFrom(run, k, began);
        this.#wait(run, k, r);
        return;
      }
      if (timeoutMs !== undefined && this.#overran(began, timeoutMs)) this.#timedOut(run, k);
      else run.values[k] = r;
    } catch (error) {
      if (timeoutMs !== undefined && this.#overran(began, timeoutMs)) this.#timedOut(run, k);
      else {
        (run.errors ??= []).push(failedItem(this.#port, k, error, ctx, run.chain.stage));
        this.#endedAt = -1; // serializing its error took its time: the next item reads the clock afresh
      }
    }
    if (run.finish(k, DONE)) this.#finish(run);
  }

  /**
   * A synchronous item that began at `began` ended now: notes when (the next item starts then)
   * and says whether it ran past `timeoutMs`.
   */
  #overran(began: number, timeoutMs: number): boolean {
    const now = systemClock.now();
    this.#endedAt = now;
    return now - began > timeoutMs;
  }

  /**
   * Synchronous item `k` of `run` returned after its timeout: it fails with a `TimeoutError`. When
   * its start was noted (or, in a thread, written in its cell), the parent may have judged it
   * stuck meanwhile and sent the rest of what this worker holds elsewhere, so nothing more
   * starts here until the parent says what this worker still holds: run on, the batch's other
   * items and the batches queued here would run twice.
   */
  #timedOut(run: BatchRun, k: number): void {
    (run.timedOut ??= []).push(k);
    // (a batch not noted item by item is timed through the thread's cell, or else not item by
    // item: the parent stops a child whose batch runs past its limit)
    if (!run.noteEach && this.#cell === undefined) return;
    this.#askedHeld = true;
    this.#port.send({ t: MSG_OVERRAN, b: run.id, k }, undefined);
  }

  /**
   * The parent's answer after an item overran its timeout: `ids` are the batches this worker still
   * holds. Every other batch was taken away: one waiting here is dropped, and one started starts
   * nothing more (its items inside their functions see their signals abort, and their slots come
   * free) and is not answered. Then the worker goes on.
   */
  #held(ids: readonly number[]): void {
    if (!this.#askedHeld) return;
    this.#askedHeld = false;
    const held = new Set(ids);
    this.#received.keepOnly(held);
    for (const run of [...this.#open.values()]) if (!held.has(run.id)) this.#abandon(run);
    this.#freed();
  }

  /** The parent took `run` away: nothing more of it starts, and it is not answered. */
  #abandon(run: BatchRun): void {
    this.#open.delete(run.id);
    if (this.#current === run) this.#current = undefined;
    if (run.timer !== undefined) clearTimeout(run.timer);
    run.timer = undefined;
    let reason: CancelledError | undefined;
    for (let k = 0; k < run.next; k++) {
      if (run.state[k] !== OPEN) continue;
      // inside its function, waiting: it settles as a lingering item (see #settled)
      reason ??= new CancelledError("the item", new Error("its batch was taken from this worker"));
      run.ctxs[k]?.cancel(reason);
      run.state[k] = LINGERING;
      this.#inFunction--;
    }
  }

  /** Item `k` is inside its function until `promise` settles: it holds a slot till then. */
  #wait(run: BatchRun, k: number, promise: Promise<unknown>): void {
    this.#inFunction++;
    promise.then(
      (v) => this.#settled(run, k, true, v),
      (error: unknown) => this.#settled(run, k, false, error),
    );
  }

  /** An asynchronous item settled: record it (unless it timed out), free its slot, go on. */
  #settled(run: BatchRun, k: number, ok: boolean, value: unknown): void {
    const lingering = run.state[k] === LINGERING;
    if (run.cancelled.delete(k)) this.#port.send({ t: MSG_CANCELLED, b: run.id, k }, undefined);
    if (lingering) {
      run.state[k] = DONE;
      return; // its slot was freed when it timed out
    }
    this.#inFunction--;
    if (ok) run.values[k] = value;
    else (run.errors ??= []).push(failedItem(this.#port, k, value, run.ctxs[k]!, run.chain.stage));
    if (run.finish(k, DONE)) this.#finish(run);
    this.#freed();
  }

  /** A slot inside the functions came free: start the next item. */
  #freed(): void {
    if (this.#closing !== undefined) {
      if (this.#inFunction === 0) this.#closed();
    } else if (this.#current !== undefined) this.#advance();
    else this.#schedule();
  }

  /**
   * The pool ends this worker gracefully: nothing more starts (batches not started are dropped:
   * the pool took their items back or failed them), the items inside their functions see their
   * signals abort, and once none is left the module's teardown runs and the worker exits.
   */
  #close(reason: WorkerEnd): void {
    if (this.#closing !== undefined) return;
    this.#closing = reason;
    this.#received.clear();
    const cancelled = new CancelledError("the item", new Error(`its worker is closing (${reason})`));
    for (const run of this.#open.values()) {
      for (let k = 0; k < run.next; k++) if (run.state[k] === OPEN) run.ctxs[k]?.cancel(cancelled);
    }
    if (this.#inFunction === 0) this.#closed();
  }

  /** Closing, and no item is inside its function any more: teardown, then exit. */
  #closed(): void {
    if (this.#closing === undefined || this.#exiting) return;
    this.#exiting = true;
    this.#port.send({ t: MSG_CLOSING }, undefined);
    void this.#lifecycle.teardown(this.#closing).then(() => {
      this.#meter.close();
      this.#port.exit();
    });
  }

  /** Arms (or re-arms) the batch's timer for the earliest deadline of its pending items. */
  #timeFrom(run: BatchRun, k: number, began: number): void {
    run.starts.set(k, began);
    if (run.timer === undefined) run.timer = setTimeout(() => this.#checkTimeouts(run), run.timeoutMs!);
  }

  /** Pending items past their timeout abort their signal and fail at once; their slots come free. */
  #checkTimeouts(run: BatchRun): void {
    run.timer = undefined;
    const timeoutMs = run.timeoutMs!;
    const now = performance.now();
    let next = Infinity;
    let freed = false;
    for (const [k, began] of [...run.starts]) {
      if (now - began >= timeoutMs) {
        const ctx = run.ctxs[k]!;
        ctx.cancel(new TimeoutError(`stage "${run.chain.stage}" item ${ctx.index}`, timeoutMs));
        (run.timedOut ??= []).push(k);
        this.#inFunction--;
        freed = true;
        if (run.finish(k, LINGERING)) this.#finish(run);
      } else next = Math.min(next, began + timeoutMs);
    }
    if (next !== Infinity) run.timer = setTimeout(() => this.#checkTimeouts(run), Math.max(1, next - now));
    if (freed) this.#freed();
  }

  /** Every item of `run` finished: answer the batch. */
  #finish(run: BatchRun): void {
    if (run.timer !== undefined) clearTimeout(run.timer);
    run.timer = undefined;
    this.#open.delete(run.id);
    const now = performance.now();
    const n = run.size;
    const m = run.message;
    this.#chains.measured(m.c, (now - run.startedAt) / n);
    this.#reply(
      m.b,
      run.values,
      run.errors,
      run.timedOut,
      run.startedAt,
      now,
      n,
      run.retryAfterCalls === retryAfterCount() ? null : retryAfters(run.ctxs),
    );
  }

  #cancel(b: number, k: number, reason: SerializedError): void {
    const run = this.#open.get(b);
    if (run !== undefined) {
      if (k >= run.next) {
        // not started yet: it never will (see #start)
        (run.early ??= new Map()).set(k, rebuildError(reason));
      } else if (run.state[k] !== DONE && run.ctxs[k] !== undefined) {
        run.cancelled.add(k);
        run.ctxs[k].cancel(rebuildError(reason));
        return; // answered when it settles
      }
    } else this.#received.cancel(b, k, rebuildError(reason));
    this.#port.send({ t: MSG_CANCELLED, b, k }, undefined);
  }

  #reply(
    b: number,
    v: unknown[],
    e: FailedItem[] | null,
    o: number[] | null,
    start: number,
    now: number,
    n: number,
    r: Array<[number, number]> | null,
  ): void {
    const health = this.#meter.report(now);
    sendResult(this.#port, {
      t: MSG_RESULT,
      b,
      v,
      e,
      o,
      r,
      u: (now - start) / Math.max(1, n),
      d: health.delayMs,
      m: health.memoryMb,
    });
  }
}
