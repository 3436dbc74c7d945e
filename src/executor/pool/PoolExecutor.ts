import { CancelledError } from "../../errors/CancelledError.js";
import { ItemTransferredError } from "../../errors/ItemTransferredError.js";
import { ModuleLoadError } from "../../errors/ModuleLoadError.js";
import { TimeoutError } from "../../errors/TimeoutError.js";
import type { Attempt, Executor, FailedStep, Settle } from "../Executor.js";
import { BatchSizer } from "./BatchSizer.js";
import { collectTransferables, hasDetachedBuffer } from "./collectTransferables.js";
import type { PoolSettings } from "./PoolOptions.js";
import { pools, type PoolRegistry } from "./PoolRegistry.js";
import { rebuildError, type SerializedError } from "./SerializedError.js";
import { MSG_BATCH, type ChainStep, type ResultMessage } from "./WireMessage.js";
import type { OutgoingBatch, PoolBatch, PoolClient, PoolFailure, PoolWorker, WorkerPool } from "./WorkerPool.js";
import { microtask } from "../../time/microtask.js";

/** One attempt, from `execute` until it settles. */
class Entry {
  done = false;
  batch: Batch | undefined = undefined;
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

class Batch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;

  constructor(
    readonly id: number,
    readonly entries: Entry[],
    readonly limitMs: number | undefined,
    readonly isolated: boolean,
    readonly timeoutMs: number | undefined,
  ) {}

  get size(): number {
    return this.entries.length;
  }
}

/** Abort listening for all entries that share one signal (usually the run's). */
interface SignalWatch {
  count: number;
  /** The only entry with this signal, while there is exactly one (a per-item timeout signal). */
  only: Entry | undefined;
  readonly listener: () => void;
}

/**
 * An {@link Executor} that runs a chain of one or more colocated stages of a module in a shared
 * worker-thread or child-process pool. Attempts executed in the same tick are queued and leave
 * in batches whose size adapts to about `targetBatchMs` of work; the pool pipelines
 * `batchesPerWorker` batches per worker. Every attempt settles exactly once: with its value (an
 * array of 0..n outputs when {@link emitsMany}), its error as thrown in the worker, a
 * `TimeoutError` when it ran past the stage's timeout, the abort reason when its signal aborts,
 * a `WorkerCrashedError` / `WorkerOutOfMemoryError` when its worker dies, an
 * `ItemTransferredError` when it must be sent again but its buffers were moved away (below), or a
 * `CancelledError` when the executor closes first. What the function passed to `ctx.retryAfter`
 * in the worker reaches the attempt's `retryAfter` before the attempt settles.
 *
 * Blame. When a worker dies (or is stopped for running past a timeout) holding several items,
 * the pool cannot tell which one did it. Those items are not failed: each is sent again alone,
 * to a worker that holds nothing else, without counting as an attempt. Only an item whose
 * worker fails while running it alone gets the error, so one poison item fails itself, not the
 * batch around it.
 *
 * Transfer. With `transferItems` (threads), an item's ArrayBuffers move into the worker and are
 * detached here: such an item cannot be sent again. A batch-mate of a crash whose buffers died
 * with the worker, and a retry (attempt > 1) of an item whose buffers an earlier attempt moved,
 * fail with an `ItemTransferredError` (`WEIR_ITEM_TRANSFERRED`) instead of an opaque
 * `DataCloneError`; the items around them go on. Both checks walk the item again, on those rare
 * paths only.
 *
 * Timeouts (when the stage has one) are the executor's, not the stage runner's: an item is
 * timed from when its worker starts it, not from when it joined a batch.
 */
export class PoolExecutor implements Executor, PoolClient<Batch> {
  readonly context: "worker" | "process";
  /** True when the chain has a filter or flatMap: each attempt resolves with an array of outputs. */
  readonly emitsMany: boolean;
  readonly stage: string;
  readonly #pool: WorkerPool;
  readonly #registry: PoolRegistry;
  readonly #settings: PoolSettings;
  readonly #chainId: number;
  readonly #sizer: BatchSizer;
  readonly #transfer: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #moduleUrl: string;
  /** The exports the chain calls, for load errors. */
  readonly #exports: string;
  /** Attempts not yet sent; `#head` is the first that may still be open. */
  #queue: Entry[] = [];
  #head = 0;
  /** Attempts to send again, each alone (see Blame); served first. */
  #isolated: Entry[] = [];
  /** Attempts to send again in batches, through no fault of theirs; served before `#queue`. */
  #again: Entry[] = [];
  /** Open attempts in the three queues. */
  #pending = 0;
  readonly #inFlight = new Set<Batch>();
  readonly #watches = new Map<AbortSignal, SignalWatch>();
  #lastSignal: AbortSignal | undefined;
  #lastWatch: SignalWatch | undefined;
  #flushScheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  workersWanted: number;
  /** True when the stage's timeout is enforced here (the runner arms no timer of its own). */
  readonly ownsTimeouts: boolean;
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    this.#pool.pump();
  };

  constructor(
    context: "worker" | "process",
    moduleUrl: string,
    stage: string,
    chain: readonly ChainStep[],
    settings: PoolSettings,
    registry: PoolRegistry = pools,
    timeoutMs?: number,
  ) {
    this.context = context;
    this.stage = stage;
    this.emitsMany = chain.some((s) => s.kind === "filter" || s.kind === "flatMap");
    this.#settings = settings;
    this.#registry = registry;
    this.#timeoutMs = timeoutMs;
    this.#moduleUrl = moduleUrl;
    this.#exports = chain.map((c) => c.exportName).join('", "');
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#pool = registry.acquire(context, moduleUrl, settings);
    this.#chainId = this.#pool.registerChain(stage, chain, timeoutMs);
    this.#sizer = new BatchSizer(settings.targetBatchMs, settings.maxBatchSize);
    this.#transfer = context === "worker" && settings.transferItems;
    this.workersWanted = settings.maxWorkers;
    this.#pool.attach(this);
  }

  /**
   * Items to keep in flight for a stage `concurrency` (the number of workers the stage may use,
   * capped at `maxWorkers`): enough for `batchesPerWorker` batches of the current adaptive size
   * on each. Grows as the batch size learns; a runner that reads it on each refill follows.
   */
  window(concurrency: number): number {
    this.workersWanted = Math.max(1, Math.min(concurrency, this.#settings.maxWorkers));
    return this.workersWanted * this.#settings.batchesPerWorker * this.batchSize;
  }

  /** The largest {@link window} can grow to (for sizing a reorder buffer). */
  maxWindow(concurrency: number): number {
    const workers = Math.max(1, Math.min(concurrency, this.#settings.maxWorkers));
    return workers * this.#settings.batchesPerWorker * this.#settings.maxBatchSize;
  }

  /**
   * Current batch size: adaptive, but never so small that a worker's `batchesPerWorker` batches
   * hold fewer items than it may run at once (`concurrencyPerWorker`): slow async items measure
   * as slow per item, yet a worker should still get enough of them to fill its slots.
   */
  get batchSize(): number {
    const s = this.#settings;
    return Math.min(s.maxBatchSize, Math.max(this.#sizer.size, Math.ceil(s.concurrencyPerWorker / s.batchesPerWorker)));
  }

  /** The pool this executor runs in (shared with stages naming the same module and options). */
  get pool(): WorkerPool {
    return this.#pool;
  }

  execute(attempt: Attempt, settle: Settle): void {
    if (this.#closed) {
      settle.reject(new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed")));
      return;
    }
    const signal = attempt.signal;
    // a signal watched now has not aborted (its listener would have dropped the watch)
    if ((signal !== this.#lastSignal || this.#lastWatch === undefined) && signal.aborted) {
      settle.reject(signal.reason);
      return;
    }
    const item = attempt.item;
    // a retry of an item whose buffers an earlier attempt moved into a worker: nothing to send
    if (this.#transfer && attempt.attempt > 1 && item !== null && typeof item === "object" && hasDetachedBuffer(item)) {
      settle.reject(new ItemTransferredError(this.stage, attempt.index, "retry"));
      return;
    }
    const entry = new Entry(item, attempt.index, attempt.attempt, signal, settle, attempt.retryAfter);
    this.#queue.push(entry);
    this.#pending++;
    this.#watch(entry);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      microtask(this.#flush);
    }
  }

  loopDelayMs(): number {
    return this.#pool.loopDelayMs();
  }

  // ---- PoolClient ----

  ready(): boolean {
    return this.#pending > 0 && this.#inFlight.size < this.workersWanted * this.#settings.batchesPerWorker;
  }

  active(): boolean {
    return this.#pending > 0 || this.#inFlight.size > 0;
  }

  isolating(): boolean {
    const q = this.#isolated;
    while (q.length > 0 && q[0]!.done) q.shift();
    return q.length > 0;
  }

  nextBatch(id: number, maxItems: number): OutgoingBatch<Batch> | undefined {
    if (this.isolating()) return this.#isolatedBatch(id);
    const n = Math.min(this.batchSize, maxItems, this.#pending);
    if (n <= 0) return undefined;
    const entries: Entry[] = [];
    const items: unknown[] = [];
    const indices: number[] = [];
    const attempts: number[] = [];
    let sameAttempt = true;
    let consecutive = true;
    let transfer: ArrayBuffer[] | undefined;
    const queue = this.#queue;
    const again = this.#again;
    let fromAgain = 0;
    const batch = new Batch(id, entries, this.#limitMs(n), false, this.#timeoutMs);
    while (entries.length < n) {
      const e = fromAgain < again.length ? again[fromAgain++]! : queue[this.#head++]!;
      if (e.done) continue;
      e.batch = batch;
      e.k = entries.length;
      entries.push(e);
      items.push(e.item);
      indices.push(e.index);
      attempts.push(e.attempt);
      if (e.attempt !== 1) sameAttempt = false;
      if (consecutive && indices.length > 1 && e.index !== indices[indices.length - 2]! + 1) consecutive = false;
      if (this.#transfer && e.item !== null && typeof e.item === "object")
        transfer = collectTransferables(e.item, transfer ?? []);
    }
    if (fromAgain > 0) again.splice(0, fromAgain);
    this.#pending -= n;
    this.#compact();
    this.#inFlight.add(batch);
    return {
      batch,
      message: {
        t: MSG_BATCH,
        b: id,
        c: this.#chainId,
        x: items,
        i: consecutive ? (indices[0] ?? 0) : indices,
        a: sameAttempt ? 1 : attempts,
      },
      transfer,
    };
  }

  completed(batch: Batch, reply: ResultMessage): void {
    this.#inFlight.delete(batch);
    this.#sizer.update(reply.u);
    const entries = batch.entries;
    // Retry-After first: the runner reads it when the attempt settles, whichever way
    if (reply.r !== null) {
      for (const [k, ms] of reply.r) {
        const e = entries[k];
        if (e !== undefined && !e.done) e.retryAfter?.(ms);
      }
    }
    if (reply.o !== null) {
      for (const k of reply.o) {
        const e = entries[k];
        if (e !== undefined && !e.done) this.#reject(e, this.#timeoutError(e));
      }
    }
    if (reply.e !== null) {
      for (const failure of reply.e) {
        const e = entries[failure[0]];
        if (e === undefined || e.done) continue;
        const error = this.#workerError(failure[1]);
        if (failure.length === 2) this.#reject(e, error);
        else
          this.#reject(
            e,
            error,
            failure.length === 4 ? { stage: failure[2], item: failure[3] } : { stage: failure[2] },
          );
      }
    }
    const values = reply.v;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      if (e.done) continue;
      e.done = true;
      this.#unwatch(e);
      e.settle.resolve(values[k]);
    }
  }

  failed(batch: Batch, failure: PoolFailure): void {
    this.#inFlight.delete(batch);
    const open = batch.entries.filter((e) => !e.done);
    // the items' own doing when nothing else ran beside them; otherwise each goes again alone
    const blamed = failure.final || batch.isolated || (open.length === 1 && failure.alone);
    // the batch reached its worker (the pool clears `worker` when the send itself failed): the
    // buffers it transferred are gone with that worker
    const moved = this.#transfer && !blamed && batch.worker !== undefined;
    let resent = 0;
    for (const e of open) {
      if (blamed) this.#reject(e, failure.overdue ? this.#timeoutError(e) : failure.error);
      else if (moved && e.item !== null && typeof e.item === "object" && hasDetachedBuffer(e.item)) {
        this.#reject(e, new ItemTransferredError(this.stage, e.index, "crash", failure.error));
      } else {
        resent++;
        e.batch = undefined;
        e.isolated = true;
        this.#isolated.push(e);
        this.#pending++;
      }
    }
    if (resent > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      microtask(this.#flush);
    }
  }

  resend(batch: Batch, timedOut: number): void {
    this.#inFlight.delete(batch);
    // the batch reached a worker that is gone: buffers it transferred went with it
    const moved = this.#transfer && batch.worker !== undefined;
    let resent = 0;
    for (const e of batch.entries) {
      if (e.done) continue;
      if (e.k === timedOut) this.#reject(e, this.#timeoutError(e));
      else if (moved && e.item !== null && typeof e.item === "object" && hasDetachedBuffer(e.item)) {
        this.#reject(e, new ItemTransferredError(this.stage, e.index, "crash"));
      } else {
        resent++;
        e.batch = undefined;
        this.#again.push(e);
        this.#pending++;
      }
    }
    // an item sent alone goes alone again: it is still a suspect
    if (batch.isolated && resent > 0) {
      const e = this.#again.pop()!;
      e.isolated = true;
      this.#isolated.push(e);
    }
    if (resent > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      microtask(this.#flush);
    }
  }

  unloadable(cause: unknown, held: readonly Batch[]): void {
    const error = new ModuleLoadError(
      this.stage,
      this.#moduleUrl,
      this.#exports,
      this.context,
      `could not be loaded (it threw while loading, ${this.#settings.loadAttempts} time${this.#settings.loadAttempts === 1 ? "" : "s"} in a row)`,
      cause,
    );
    for (const batch of held) {
      this.#inFlight.delete(batch);
      for (const e of batch.entries) if (!e.done) this.#reject(e, error);
    }
    for (const e of this.#isolated) if (!e.done) this.#reject(e, error);
    for (const e of this.#again) if (!e.done) this.#reject(e, error);
    for (let i = this.#head; i < this.#queue.length; i++) {
      const e = this.#queue[i]!;
      if (!e.done) this.#reject(e, error);
    }
    this.#queue = [];
    this.#head = 0;
    this.#isolated = [];
    this.#again = [];
    this.#pending = 0;
  }

  /**
   * Fails every open attempt with a `CancelledError`, detaches from the pool and releases it (the
   * pool stops its workers when no executor uses it any more). Safe to call twice.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#pool.detach(this);
    this.#pool.unregisterChain(this.#chainId);
    const error = new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed"));
    for (let i = this.#head; i < this.#queue.length; i++) {
      const e = this.#queue[i]!;
      if (!e.done) this.#reject(e, error);
    }
    for (const e of this.#isolated) if (!e.done) this.#reject(e, error);
    for (const e of this.#again) if (!e.done) this.#reject(e, error);
    this.#queue = [];
    this.#isolated = [];
    this.#again = [];
    this.#head = 0;
    this.#pending = 0;
    for (const batch of [...this.#inFlight]) this.failed(batch, { error, alone: false, overdue: false, final: true });
    this.#closing = this.#registry.release(this.#pool);
    return this.#closing;
  }

  // ---- internals ----

  /** One isolated attempt, alone in its batch. */
  #isolatedBatch(id: number): OutgoingBatch<Batch> {
    const e = this.#isolated.shift()!;
    this.#pending--;
    const batch = new Batch(id, [e], this.#limitMs(1), true, this.#timeoutMs);
    e.batch = batch;
    e.k = 0;
    this.#inFlight.add(batch);
    let transfer: ArrayBuffer[] | undefined;
    if (this.#transfer && e.item !== null && typeof e.item === "object") transfer = collectTransferables(e.item, []);
    return {
      batch,
      message: { t: MSG_BATCH, b: id, c: this.#chainId, x: [e.item], i: e.index, a: e.attempt },
      transfer,
    };
  }

  /** How long a batch of `n` may run: the timeout, plus the work the batch is expected to take. */
  #limitMs(n: number): number | undefined {
    if (this.#timeoutMs === undefined) return undefined;
    const perItem = this.#sizer.perItemMs;
    return this.#timeoutMs + (perItem > 0 ? n * perItem : 0);
  }

  /**
   * An item's error as the worker serialized it, rebuilt; a chain whose export is missing (code
   * `WEIR_LOAD_FAILED` from the worker) becomes a {@link ModuleLoadError}.
   */
  #workerError(s: SerializedError): unknown {
    const error = rebuildError(s);
    if (s.code !== "WEIR_LOAD_FAILED" || s.name !== "TypeError") return error;
    return new ModuleLoadError(
      this.stage,
      this.#moduleUrl,
      this.#exports,
      this.context,
      "does not export a function of that name",
      error,
    );
  }

  #timeoutError(e: Entry): TimeoutError {
    return new TimeoutError(`stage "${this.stage}" item ${e.index}`, this.#timeoutMs ?? 0);
  }

  #reject(e: Entry, error: unknown, step?: FailedStep): void {
    e.done = true;
    this.#unwatch(e);
    e.settle.reject(error, step);
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #watch(e: Entry): void {
    const signal = e.signal;
    let w = signal === this.#lastSignal ? this.#lastWatch : this.#watches.get(signal);
    if (w === undefined) {
      const watch: SignalWatch = { count: 0, only: e, listener: () => this.#aborted(signal, watch) };
      w = watch;
      this.#watches.set(signal, w);
      signal.addEventListener("abort", w.listener, { once: true });
    } else w.only = undefined;
    w.count++;
    this.#lastSignal = signal;
    this.#lastWatch = w;
  }

  #unwatch(e: Entry): void {
    const signal = e.signal;
    const w = signal === this.#lastSignal ? this.#lastWatch : this.#watches.get(signal);
    if (w === undefined || --w.count > 0) return;
    signal.removeEventListener("abort", w.listener);
    this.#watches.delete(signal);
    if (this.#lastSignal === signal) {
      this.#lastSignal = undefined;
      this.#lastWatch = undefined;
    }
  }

  /** A signal aborted: settle its attempts with the reason; cancel the ones running in workers. */
  #aborted(signal: AbortSignal, w: SignalWatch): void {
    const reason: unknown = signal.reason;
    const abort = (e: Entry): void => {
      if (e.done) return;
      const batch = e.batch;
      if (batch === undefined) this.#pending--;
      this.#reject(e, reason);
      if (batch !== undefined && this.#inFlight.has(batch)) this.#pool.cancel(batch, e.k, reason);
    };
    if (w.only !== undefined) {
      abort(w.only);
    } else {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const e = this.#queue[i]!;
        if (e.signal === signal) abort(e);
      }
      for (const e of this.#isolated) if (e.signal === signal) abort(e);
      for (const e of this.#again) if (e.signal === signal) abort(e);
      for (const batch of [...this.#inFlight]) for (const e of batch.entries) if (e.signal === signal) abort(e);
    }
    this.#watches.delete(signal);
    if (this.#lastSignal === signal) {
      this.#lastSignal = undefined;
      this.#lastWatch = undefined;
    }
  }
}
