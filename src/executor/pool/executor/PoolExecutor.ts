import type { ItemKeys } from "../../ItemKeys.js";
import type { PoolReading } from "../../../stats/MetricsSink.js";
import { CancelledError } from "../../../errors/CancelledError.js";
import { ItemTransferredError } from "../../../errors/ItemTransferredError.js";
import { ModuleLoadError } from "../../../errors/ModuleLoadError.js";
import { TimeoutError } from "../../../errors/TimeoutError.js";
import type { Attempt, Executor, FailedStep, Settle } from "../../Executor.js";
import { BatchSizer } from "./BatchSizer.js";
import { hasDetachedBuffer } from "../wire/collectTransferables.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { pools, type PoolRegistry } from "../workers/PoolRegistry.js";
import { moduleLabel } from "../wire/moduleLabel.js";
import { rebuildError, type SerializedError } from "../wire/SerializedError.js";
import type { ChainStep, ResultMessage } from "../wire/WireMessage.js";
import type { OutgoingBatch, PoolClient, PoolFailure, WorkerPool } from "../workers/WorkerPool.js";
import { microtask } from "../../../time/microtask.js";
import { AttemptBatch } from "./AttemptBatch.js";
import { AttemptQueues } from "./AttemptQueues.js";
import { batchMessage } from "./batchMessage.js";
import { PendingAttempt } from "./PendingAttempt.js";
import { SignalWatches } from "../../SignalWatches.js";
import { maxPoolWindow, minBatchSize, workersFor } from "./poolWindow.js";

/**
 * An {@link Executor} that runs a chain of one or more colocated stages of a module in a shared
 * worker-thread or child-process pool. Attempts executed in the same tick leave in batches whose
 * size adapts to about `targetBatchMs` of work. Every attempt settles exactly once: with its value
 * (an array of 0..n outputs when {@link emitsMany}), its error as thrown in the worker, a
 * `TimeoutError`, the abort reason when its signal aborts, a `WorkerCrashedError` /
 * `WorkerOutOfMemoryError` when its worker dies while it runs alone, an `ItemTransferredError`
 * when it must be sent again but its buffers were moved away, or a `CancelledError` when the
 * executor closes first. Items that shared a batch with a worker's death are sent again alone,
 * not as new attempts (Blame, docs/contexts.md). The stage's timeout, when it has one, is the
 * executor's: an item is timed from when its worker starts it. What the function passed to
 * `ctx.retryAfter` in the worker reaches the attempt's `retryAfter` before the attempt settles.
 */
export class PoolExecutor implements Executor, PoolClient<AttemptBatch> {
  readonly context: "worker" | "process";
  /** True when the chain has a filter or flatMap: each attempt resolves with an array of outputs. */
  readonly emitsMany: boolean;
  readonly stage: string;
  readonly #pool: WorkerPool;
  readonly #registry: PoolRegistry;
  readonly #settings: PoolSettings;
  readonly #chainId: number;
  /** How `ctx.key` is made in a durable run (undefined: no keys). */
  #keys: ItemKeys | undefined;
  readonly #sizer: BatchSizer;
  readonly #transfer: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #moduleUrl: string;
  /** The exports the chain calls, for load errors. */
  readonly #exports: string;
  /** Attempts not yet sent. */
  readonly #queues = new AttemptQueues();
  readonly #inFlight = new Set<AttemptBatch>();
  readonly #watches = new SignalWatches<PendingAttempt>((signal, only) => this.#aborted(signal, only));
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

  useKeys(keys: ItemKeys): void {
    this.#keys = keys;
  }

  /**
   * Items to keep in flight for a stage `concurrency` (the number of workers the stage may use,
   * capped at `maxWorkers`): enough for `batchesPerWorker` batches of the current adaptive size
   * on each. Grows as the batch size learns; a runner that reads it on each refill follows.
   */
  window(concurrency: number): number {
    this.workersWanted = workersFor(this.#settings, concurrency);
    return this.workersWanted * this.#settings.batchesPerWorker * this.batchSize;
  }

  /** The largest {@link window} can grow to (for sizing a reorder buffer). */
  maxWindow(concurrency: number): number {
    return maxPoolWindow(this.#settings, concurrency);
  }

  /**
   * Current batch size: adaptive, but never so small that a worker's `batchesPerWorker` batches
   * hold fewer items than it may run at once (`concurrencyPerWorker`): slow async items measure
   * as slow per item, yet a worker should still get enough of them to fill its slots.
   */
  get batchSize(): number {
    return Math.min(this.#settings.maxBatchSize, Math.max(this.#sizer.size, minBatchSize(this.#settings)));
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
    if (this.#watches.aborted(signal)) {
      settle.reject(signal.reason);
      return;
    }
    const item = attempt.item;
    // a retry of an item whose buffers an earlier attempt moved into a worker: nothing to send
    if (this.#transfer && attempt.attempt > 1 && item !== null && typeof item === "object" && hasDetachedBuffer(item)) {
      settle.reject(new ItemTransferredError(this.stage, attempt.index, "retry"));
      return;
    }
    const entry = new PendingAttempt(item, attempt.index, attempt.attempt, signal, settle, attempt.retryAfter);
    this.#queues.push(entry);
    this.#watches.watch(signal, entry);
    this.#scheduleFlush();
  }

  loopDelayMs(): number {
    return this.#pool.loopDelayMs();
  }

  poolStats(): PoolReading {
    return this.#pool.stats();
  }

  // ---- PoolClient ----

  ready(): boolean {
    return this.#queues.pending > 0 && this.#inFlight.size < this.workersWanted * this.#settings.batchesPerWorker;
  }

  active(): boolean {
    return this.#queues.pending > 0 || this.#inFlight.size > 0;
  }

  isolating(): boolean {
    return this.#queues.hasAlone();
  }

  nextBatch(id: number, maxItems: number): OutgoingBatch<AttemptBatch> | undefined {
    const alone = this.isolating();
    const n = alone ? 1 : Math.min(this.batchSize, maxItems, this.#queues.pending);
    if (n <= 0) return undefined;
    const entries: PendingAttempt[] = [];
    const batch = new AttemptBatch(id, entries, this.#limitMs(n), alone, this.#timeoutMs);
    const add = (e: PendingAttempt, k: number): void => {
      e.batch = batch;
      e.k = k;
      entries.push(e);
    };
    if (alone) add(this.#queues.takeAlone(), 0);
    else this.#queues.take(n, add);
    this.#inFlight.add(batch);
    return batchMessage(batch, this.#chainId, this.#transfer, this.#keys);
  }

  completed(batch: AttemptBatch, reply: ResultMessage): void {
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
    const n = entries.length;
    const owner = n > 1 ? entries[0]!.settle.owner : undefined;
    if (owner !== undefined) {
      // the batch path: every open attempt resolved in one call to its runner
      const settles: Settle[] = [];
      const vals: unknown[] = [];
      let same = true;
      for (let k = 0; k < n; k++) {
        const e = entries[k]!;
        if (e.done) continue;
        e.done = true;
        this.#watches.unwatch(e.signal);
        if (e.settle.owner !== owner) same = false;
        settles.push(e.settle);
        vals.push(values[k]);
      }
      if (same) owner.resolveBatch(settles, vals, settles.length);
      else for (let k = 0; k < settles.length; k++) settles[k]!.resolve(vals[k]);
      return;
    }
    for (let k = 0; k < n; k++) {
      const e = entries[k]!;
      if (e.done) continue;
      e.done = true;
      this.#watches.unwatch(e.signal);
      e.settle.resolve(values[k]);
    }
  }

  failed(batch: AttemptBatch, failure: PoolFailure): void {
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
        this.#queues.pushAlone(e);
      }
    }
    if (resent > 0) this.#scheduleFlush();
  }

  resend(batch: AttemptBatch, timedOut: number): void {
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
        this.#queues.pushAgain(e);
      }
    }
    // an item sent alone goes alone again: it is still a suspect
    if (batch.isolated && resent > 0) this.#queues.lastAgainAlone();
    if (resent > 0) this.#scheduleFlush();
  }

  unloadable(cause: unknown, inSetup: boolean, held: readonly AttemptBatch[]): void {
    const n = this.#settings.loadAttempts;
    const times = `${n} time${n === 1 ? "" : "s"} in a row`;
    const error = new ModuleLoadError(
      this.stage,
      moduleLabel(this.#moduleUrl),
      this.#exports,
      this.context,
      inSetup
        ? `could not be set up (its setup export threw, ${times})`
        : `could not be loaded (it threw while loading, ${times})`,
      cause,
    );
    for (const batch of held) {
      this.#inFlight.delete(batch);
      for (const e of batch.entries) if (!e.done) this.#reject(e, error);
    }
    this.#queues.forEachOpen((e) => this.#reject(e, error));
    this.#queues.clear();
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
    this.#queues.forEachOpen((e) => this.#reject(e, error));
    this.#queues.clear();
    for (const batch of [...this.#inFlight]) this.failed(batch, { error, alone: false, overdue: false, final: true });
    this.#closing = this.#registry.release(this.#pool);
    return this.#closing;
  }

  // ---- internals ----

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
      moduleLabel(this.#moduleUrl),
      this.#exports,
      this.context,
      "does not export a function of that name",
      error,
    );
  }

  #timeoutError(e: PendingAttempt): TimeoutError {
    return new TimeoutError(`stage "${this.stage}" item ${e.index}`, this.#timeoutMs ?? 0);
  }

  #reject(e: PendingAttempt, error: unknown, step?: FailedStep): void {
    e.done = true;
    this.#watches.unwatch(e.signal);
    e.settle.reject(error, step);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  /**
   * A signal aborted: settle its attempts with the reason (`only`, when it had one); cancel the
   * ones running in workers.
   */
  #aborted(signal: AbortSignal, only: PendingAttempt | undefined): void {
    const reason: unknown = signal.reason;
    const abort = (e: PendingAttempt): void => {
      if (e.done) return;
      const batch = e.batch;
      if (batch === undefined) this.#queues.pending--;
      this.#reject(e, reason);
      if (batch !== undefined && this.#inFlight.has(batch)) this.#pool.cancel(batch, e.k, reason);
    };
    if (only !== undefined) {
      abort(only);
      return;
    }
    this.#queues.forEachOpen((e) => {
      if (e.signal === signal) abort(e);
    });
    for (const batch of [...this.#inFlight]) for (const e of batch.entries) if (e.signal === signal) abort(e);
  }
}
