import type { ItemKeys } from "../../ItemKeys.js";
import type { PoolReading } from "../../../stats/MetricsSink.js";
import { CancelledError } from "../../../errors/CancelledError.js";
import { ItemTransferredError } from "../../../errors/ItemTransferredError.js";
import { ModuleLoadError } from "../../../errors/ModuleLoadError.js";
import { TimeoutError } from "../../../errors/TimeoutError.js";
import type { Attempt, Executor, FailedStep, Group, GroupFailure, Settle } from "../../Executor.js";
import { BatchBytes } from "./BatchBytes.js";
import { BatchSizer } from "./BatchSizer.js";
import { ItemCosts } from "../workers/ItemCosts.js";
import { hasDetachedBuffer } from "../wire/collectTransferables.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { pools, type PoolRegistry } from "../workers/PoolRegistry.js";
import { moduleLabel } from "../wire/moduleLabel.js";
import { rebuildError, type SerializedError } from "../wire/SerializedError.js";
import { chainEmitsMany, type ChainStep, type ResultMessage } from "../wire/WireMessage.js";
import type { OutgoingBatch, PoolClient, PoolFailure, WorkerPool } from "../workers/WorkerPool.js";
import { microtask } from "../../../time/microtask.js";
import { AttemptBatch } from "./AttemptBatch.js";
import { BatchArrays } from "./BatchArrays.js";
import { AttemptQueues } from "./AttemptQueues.js";
import { batchMessage, groupMessage } from "./batchMessage.js";
import { GroupBatch } from "./GroupBatch.js";
import { GroupParts } from "./GroupParts.js";
import { groupIndexAt } from "../../groupIndex.js";
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
export class PoolExecutor implements Executor, PoolClient<AttemptBatch | GroupBatch> {
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
  /** The batch size's bound by bytes, learned from the frames sent (child processes). */
  readonly #bytes: BatchBytes;
  /** The chain's name in its pool's {@link ItemCosts}. */
  readonly #costKey: string;
  readonly #transfer: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #moduleUrl: string;
  /** The exports the chain calls, for load errors. */
  readonly #exports: string;
  /** Attempts not yet sent. */
  readonly #queues = new AttemptQueues();
  /** Groups not yet sent (each goes as one batch), from `#groupsHead` on. */
  #groups: (Group | undefined)[] = [];
  #groupsHead = 0;
  readonly #inFlight = new Set<AttemptBatch | GroupBatch>();
  /** Finished batches' arrays, for the next batches. */
  readonly #arrays = new BatchArrays();
  readonly #watches = new SignalWatches<Attempt | Group>((signal) => this.#aborted(signal));
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
    this.emitsMany = chainEmitsMany(chain);
    this.#settings = settings;
    this.#registry = registry;
    this.#timeoutMs = timeoutMs;
    this.#moduleUrl = moduleUrl;
    this.#exports = chain.map((c) => c.exportName).join('", "');
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#pool = registry.acquire(context, moduleUrl, settings);
    this.#chainId = this.#pool.registerChain(stage, chain, timeoutMs);
    this.#costKey = ItemCosts.keyOf(chain);
    // an earlier run of the same chain in this pool measured its items: start from that
    const learned = this.#pool.itemCosts.get(this.#costKey);
    this.#sizer = new BatchSizer(settings.targetBatchMs, settings.maxBatchSize, undefined, learned);
    this.#bytes = new BatchBytes(settings.maxFrameBytes);
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

  /**
   * `base` while a batch for each worker holds no more items; else a batch of the largest size
   * per worker (bounded by bytes as a batch is), however the time a busy machine's worker
   * measures moves the batch size from one reply to the next.
   */
  inputCapacity(concurrency: number, base: number): number {
    const workers = workersFor(this.#settings, concurrency);
    if (workers * this.batchSize <= base) return base;
    return Math.max(base, workers * Math.min(this.#settings.maxBatchSize, this.#bytes.cap));
  }

  /** The largest {@link window} can grow to (for sizing a reorder buffer). */
  maxWindow(concurrency: number): number {
    return maxPoolWindow(this.#settings, concurrency);
  }

  /**
   * Current batch size: adaptive (to about `targetBatchMs` of work, and for a child process to
   * frames of about 4 MiB: {@link BatchBytes}), but never so small that a worker's `batchesPerWorker`
   * batches hold fewer items than it may run at once (`concurrencyPerWorker`): slow async items
   * measure as slow per item, yet a worker should still get enough of them to fill its slots.
   */
  get batchSize(): number {
    const adaptive = Math.min(this.#sizer.size, this.#bytes.cap);
    return Math.min(this.#settings.maxBatchSize, Math.max(adaptive, minBatchSize(this.#settings)));
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
    this.#queues.push(attempt, settle);
    this.#watches.watch(signal, attempt);
    this.#scheduleFlush();
  }

  /**
   * {@link execute} for a run of attempts (a stage runner's first attempts, taken from its input
   * in one pump): each is checked and queued as it would be alone, in order; one flush for all.
   */
  executeBatch(runs: readonly (Attempt & Settle)[], n: number): void {
    if (this.#closed) {
      for (let k = 0; k < n; k++) this.execute(runs[k]!, runs[k]!);
      return;
    }
    const queues = this.#queues;
    const watches = this.#watches;
    let queued = 0;
    for (let k = 0; k < n; k++) {
      const run = runs[k]!;
      const signal = run.signal;
      if (this.#closed || run.attempt > 1)
        // closed by an earlier run's settle (rejects it), or a retry (its item's buffers may have
        // moved into a worker): as alone
        this.execute(run, run);
      else if (watches.aborted(signal)) {
        run.reject(signal.reason);
      } else {
        queues.push(run, run);
        watches.watch(signal, run);
        queued++;
      }
    }
    if (queued > 0) this.#scheduleFlush();
  }

  /**
   * Groups are taken while the executor is open. A timeout needs nothing of its own here: each
   * item is timed from its start in its worker, and one that ran past it leaves its group. A cap
   * on items per worker neither: a group that does not fit what a worker may still take splits
   * into its items ({@link PoolExecutor.nextBatch}).
   */
  groupSize(): number {
    return this.#closed ? 0 : this.batchSize;
  }

  /** Queues each group to go as one batch, in order; one flush for all. */
  executeGroups(groups: readonly Group[], n: number): void {
    const queue = this.#groups;
    const watches = this.#watches;
    let queued = 0;
    for (let k = 0; k < n; k++) {
      const group = groups[k]!;
      const signal = group.signal;
      if (this.#closed) group.owner.rejectGroup(group, this.#closedError());
      else if (watches.aborted(signal)) group.owner.rejectGroup(group, signal.reason);
      else {
        queue.push(group);
        watches.watch(signal, group);
        queued++;
      }
    }
    if (queued > 0) this.#scheduleFlush();
  }

  /** Groups queued and not sent yet. */
  get #groupsQueued(): number {
    return this.#groups.length - this.#groupsHead;
  }

  /** The next queued group, out of the queue (call while {@link #groupsQueued} is above 0). */
  #shiftGroup(): Group {
    const group = this.#groups[this.#groupsHead]!;
    this.#groups[this.#groupsHead++] = undefined;
    if (this.#groupsHead === this.#groups.length) {
      this.#groups.length = 0;
      this.#groupsHead = 0;
    }
    return group;
  }

  loopDelayMs(): number {
    return this.#pool.loopDelayMs();
  }

  poolStats(): PoolReading {
    return this.#pool.stats();
  }

  // ---- PoolClient ----

  ready(): boolean {
    return (
      (this.#queues.pending > 0 || this.#groupsQueued > 0) &&
      this.#inFlight.size < this.workersWanted * this.#settings.batchesPerWorker
    );
  }

  active(): boolean {
    return this.#queues.pending > 0 || this.#groupsQueued > 0 || this.#inFlight.size > 0;
  }

  isolating(): boolean {
    return this.#queues.hasAlone();
  }

  nextBatch(id: number, maxItems: number): OutgoingBatch<AttemptBatch | GroupBatch> | undefined {
    const alone = this.isolating();
    if (!alone && this.#queues.pending === 0 && this.#groupsQueued > 0) {
      const head = this.#shiftGroup();
      if (head.size > maxItems) {
        // the worker may take fewer items than the group holds before it retires
        // (`maxItemsPerWorker`): it splits into its items, each an attempt that goes next (below)
        this.#watches.unwatch(head.signal);
        this.#split(head, false, false);
      } else {
        // groups go whole, as many as the batch size holds (and the worker may still take): a
        // group of a few items came from a pump that found a few
        const groups = [head];
        let size = head.size;
        const most = Math.min(this.batchSize, maxItems);
        while (this.#groupsQueued > 0) {
          const next = this.#groups[this.#groupsHead]!;
          if (size + next.size > most || next.signal !== head.signal) break;
          groups.push(this.#shiftGroup());
          size += next.size;
        }
        const batch = new GroupBatch(id, groups, this.#limitMs(size), this.#timeoutMs);
        this.#inFlight.add(batch);
        return groupMessage(batch, this.#chainId, this.#transfer, this.#keys);
      }
    }
    const n = alone ? 1 : Math.min(this.batchSize, maxItems, this.#queues.pending);
    if (n <= 0) return undefined;
    const batch = new AttemptBatch(id, n, this.#limitMs(n), alone, this.#timeoutMs, this.#arrays.take(n));
    if (alone) this.#queues.takeAlone(batch);
    else this.#queues.take(n, batch);
    batch.seal();
    this.#inFlight.add(batch);
    return batchMessage(batch, this.#chainId, this.#transfer, this.#keys);
  }

  sent(items: number, bytes: number): void {
    this.#bytes.sent(items, bytes);
  }

  completed(batch: AttemptBatch | GroupBatch, reply: ResultMessage): void {
    this.#inFlight.delete(batch);
    if (batch instanceof GroupBatch) {
      this.#settleGroup(batch, reply);
      return;
    }
    this.#settleReply(batch, reply);
    // settled, and out of every table: nothing reads it again
    this.#arrays.give(batch);
  }

  /** The batch's items were measured in their worker: the batch size follows. */
  #learn(reply: ResultMessage): void {
    this.#sizer.update(reply.u);
    this.#pool.itemCosts.set(this.#costKey, this.#sizer.perItemMs);
  }

  /**
   * Ends each group of `batch` as `reply` says: its values, and its failed items (those that ran
   * past the stage's timeout with a `TimeoutError`) with their errors, by their place in the
   * group (its owner reads no Retry-After: no gate holds its items).
   */
  #settleGroup(batch: GroupBatch, reply: ResultMessage): void {
    this.#learn(reply);
    if (batch.ended) return;
    batch.ended = true;
    const groups = batch.groups;
    this.#watches.unwatch(groups[0]!.signal, groups.length);
    let failures: GroupFailure[] | undefined;
    if (reply.e !== null || reply.o !== null) {
      failures = [];
      const timedOut = reply.o ?? [];
      for (const at of timedOut) failures.push({ at, error: this.#timeoutError(batch.indexAt(at)), step: undefined });
      for (const f of reply.e ?? []) {
        if (timedOut.includes(f[0])) continue; // (settled as timed out, as an attempt would be)
        const step = f.length === 2 ? undefined : f.length === 4 ? { stage: f[2], item: f[3] } : { stage: f[2] };
        failures.push({ at: f[0], error: this.#workerError(f[1]), step });
      }
      failures.sort((a, b) => a.at - b.at);
    }
    const starts = batch.starts;
    let f = 0;
    for (let j = 0; j < groups.length; j++) {
      const group = groups[j]!;
      const start = starts[j]!;
      let own: GroupFailure[] | undefined;
      while (failures !== undefined && f < failures.length && failures[f]!.at < start + group.size) {
        const failure = failures[f++]!;
        (own ??= []).push({ at: failure.at - start, error: failure.error, step: failure.step });
      }
      group.owner.resolveGroup(group, reply.v, start, own);
    }
  }

  /** Settles each open attempt of `batch` as `reply` says. */
  #settleReply(batch: AttemptBatch, reply: ResultMessage): void {
    this.#learn(reply);
    const attempts = batch.attempts;
    const settles = batch.settles;
    // Retry-After first: the runner reads it when the attempt settles, whichever way
    if (reply.r !== null) {
      for (const [k, ms] of reply.r) {
        if (settles[k] !== undefined) attempts[k]!.retryAfter?.(ms);
      }
    }
    if (reply.o !== null) {
      for (const k of reply.o) {
        if (settles[k] !== undefined) this.#reject(batch, k, this.#timeoutError(attempts[k]!.index));
      }
    }
    if (reply.e !== null) {
      for (const failure of reply.e) {
        const k = failure[0];
        if (settles[k] === undefined) continue;
        const error = this.#workerError(failure[1]);
        if (failure.length === 2) this.#reject(batch, k, error);
        else
          this.#reject(
            batch,
            k,
            error,
            failure.length === 4 ? { stage: failure[2], item: failure[3] } : { stage: failure[2] },
          );
      }
    }
    const values = reply.v;
    const n = batch.size;
    const open = batch.open;
    if (open === 0) return;
    batch.open = 0;
    if (batch.oneSignal) this.#watches.unwatch(batch.signal!, open);
    const owner = n > 1 ? batch.owner : undefined;
    if (owner !== undefined && open === n) {
      // the batch path, every attempt open: its settles and the reply's values as they are (the
      // batch left #inFlight above, so nothing reads its settles again)
      owner.resolveBatch(settles as unknown as readonly Settle[], values, n);
      return;
    }
    const oneSignal = batch.oneSignal;
    if (owner !== undefined) {
      // the batch path, some settled already: the open ones, in order
      const open: Settle[] = [];
      const vals: unknown[] = [];
      for (let k = 0; k < n; k++) {
        const settle = settles[k];
        if (settle === undefined) continue;
        settles[k] = undefined;
        if (!oneSignal) this.#watches.unwatch(attempts[k]!.signal);
        open.push(settle);
        vals.push(values[k]);
      }
      owner.resolveBatch(open, vals, open.length);
      return;
    }
    for (let k = 0; k < n; k++) {
      const settle = settles[k];
      if (settle === undefined) continue;
      settles[k] = undefined;
      if (!oneSignal) this.#watches.unwatch(attempts[k]!.signal);
      settle.resolve(values[k]);
    }
  }

  failed(batch: AttemptBatch | GroupBatch, failure: PoolFailure): void {
    this.#inFlight.delete(batch);
    if (batch instanceof GroupBatch) {
      this.#groupFailed(batch, failure);
      return;
    }
    // the items' own doing when nothing else ran beside them; otherwise each goes again alone
    const blamed = failure.final || batch.isolated || (batch.open === 1 && failure.alone);
    // the batch reached its worker (the pool clears `worker` when the send itself failed): the
    // buffers it transferred are gone with that worker
    const moved = this.#transfer && !blamed && batch.worker !== undefined;
    const attempts = batch.attempts;
    const settles = batch.settles;
    let resent = 0;
    for (let k = 0; k < batch.size; k++) {
      const settle = settles[k];
      if (settle === undefined) continue;
      const a = attempts[k]!;
      if (blamed) this.#reject(batch, k, failure.overdue ? this.#timeoutError(a.index) : failure.error);
      else if (moved && detached(batch.items[k])) {
        this.#reject(batch, k, new ItemTransferredError(this.stage, a.index, "crash", failure.error));
      } else {
        resent++;
        settles[k] = undefined;
        batch.open--;
        this.#queues.pushAlone(a, settle);
      }
    }
    if (resent > 0) this.#scheduleFlush();
  }

  resend(batch: AttemptBatch | GroupBatch, timedOut: number): void {
    this.#inFlight.delete(batch);
    if (batch instanceof GroupBatch) {
      this.#resendGroups(batch, timedOut);
      return;
    }
    // the batch reached a worker that is gone: buffers it transferred went with it
    const moved = this.#transfer && batch.worker !== undefined;
    const attempts = batch.attempts;
    const settles = batch.settles;
    let resent = 0;
    for (let k = 0; k < batch.size; k++) {
      const settle = settles[k];
      if (settle === undefined) continue;
      const a = attempts[k]!;
      if (k === timedOut) this.#reject(batch, k, this.#timeoutError(a.index));
      else if (moved && detached(batch.items[k])) {
        this.#reject(batch, k, new ItemTransferredError(this.stage, a.index, "crash"));
      } else {
        resent++;
        settles[k] = undefined;
        batch.open--;
        this.#queues.pushAgain(a, settle);
      }
    }
    // an item sent alone goes alone again: it is still a suspect
    if (batch.isolated && resent > 0) this.#queues.lastAgainAlone();
    if (resent > 0) this.#scheduleFlush();
  }

  unloadable(cause: unknown, inSetup: boolean, held: readonly (AttemptBatch | GroupBatch)[]): void {
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
      if (batch instanceof GroupBatch) this.#endGroups(batch, error);
      else for (let k = 0; k < batch.size; k++) if (batch.settles[k] !== undefined) this.#reject(batch, k, error);
    }
    this.#queues.forEachOpen((a, settle, remove) => this.#rejectQueued(a, settle, remove, error));
    this.#queues.clear();
    this.#rejectGroups(error);
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
    const error = this.#closedError();
    this.#queues.forEachOpen((a, settle, remove) => this.#rejectQueued(a, settle, remove, error));
    this.#queues.clear();
    this.#rejectGroups(error);
    for (const batch of [...this.#inFlight]) this.failed(batch, { error, alone: false, overdue: false, final: true });
    this.#closing = this.#registry.release(this.#pool);
    return this.#closing;
  }

  // ---- internals ----

  #closedError(): CancelledError {
    return new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed"));
  }

  /**
   * A batch of groups cannot finish. The items' own doing when the pool is closing or the batch
   * is one item its worker held alone: each fails with the error. Otherwise each group splits:
   * each item goes again alone, as an attempt of its own (one whose buffers moved into the dead
   * worker fails with an `ItemTransferredError`), and the group ends when the last of its items
   * settles.
   */
  #groupFailed(batch: GroupBatch, failure: PoolFailure): void {
    if (batch.ended) return;
    if ((failure.final || (batch.size === 1 && failure.alone)) && !failure.overdue) {
      this.#endGroups(batch, failure.error);
      return;
    }
    batch.ended = true;
    this.#watches.unwatch(batch.groups[0]!.signal, batch.groups.length);
    if (failure.final || (batch.size === 1 && failure.alone)) {
      // its worker was stopped past the batch's limit, with nothing else to blame: each item
      // timed out, under its own index
      for (const group of batch.groups) {
        const parts = new GroupParts(group);
        for (let k = 0; k < group.size; k++) parts.failed(k, this.#timeoutError(groupIndexAt(group, k)));
      }
      return;
    }
    const moved = this.#transfer && batch.worker !== undefined;
    let resent = 0;
    for (const group of batch.groups) resent += this.#split(group, true, moved, -1, failure.error);
    if (resent > 0) this.#scheduleFlush();
  }

  /**
   * `batch` goes again: its worker was stopped before it ran (or while it ran, for other work's
   * sake). Its groups go again first, whole, but for two kinds of group, which split into their
   * items, each an attempt of its own that goes again in a batch: the group holding item
   * `timedOut` of the batch (-1: none), which ran past the stage's timeout and fails with a
   * `TimeoutError`, and, when the batch reached its worker with its buffers moved there, a group
   * holding such an item, which fails with an `ItemTransferredError` (the rest go again).
   */
  #resendGroups(batch: GroupBatch, timedOut: number): void {
    if (batch.ended) return;
    batch.ended = true;
    const moved = this.#transfer && batch.worker !== undefined;
    const whole: Group[] = [];
    let resent = 0;
    for (let j = 0; j < batch.groups.length; j++) {
      const group = batch.groups[j]!;
      const at = timedOut - batch.starts[j]!;
      const holdsTimedOut = at >= 0 && at < group.size;
      if (!holdsTimedOut && !(moved && group.items.some(detached))) {
        whole.push(group);
        continue;
      }
      this.#watches.unwatch(group.signal);
      resent += this.#split(group, false, moved, holdsTimedOut ? at : -1);
    }
    if (whole.length > 0) this.#groups.splice(this.#groupsHead, 0, ...whole);
    if (whole.length > 0 || resent > 0) this.#scheduleFlush();
  }

  /**
   * Splits `group` (no longer watched as a whole) into its items, each an attempt of its own that
   * settles into the group ({@link GroupParts}), queued to go again `alone` or in a batch. Item
   * `timedOut` (-1: none) fails with a `TimeoutError`; with `moved`, an item whose ArrayBuffers
   * went with a worker that is gone fails with an `ItemTransferredError` (`cause`: why it is
   * gone). Returns how many went into the queue.
   */
  #split(group: Group, alone: boolean, moved: boolean, timedOut = -1, cause?: unknown): number {
    const parts = new GroupParts(group);
    let queued = 0;
    for (let k = 0; k < group.size; k++) {
      const part = parts.part(k);
      if (k === timedOut) parts.failed(k, this.#timeoutError(part.index));
      else if (moved && detached(part.item)) {
        parts.failed(k, new ItemTransferredError(this.stage, part.index, "crash", cause));
      } else {
        if (alone) this.#queues.pushAlone(part, part);
        else this.#queues.pushAgain(part, part);
        this.#watches.watch(part.signal, part);
        queued++;
      }
    }
    return queued;
  }

  /** Ends each group of `batch` (not ended yet) with `error` for each item. */
  #endGroups(batch: GroupBatch, error: unknown): void {
    if (batch.ended) return;
    batch.ended = true;
    this.#watches.unwatch(batch.groups[0]!.signal, batch.groups.length);
    for (const group of batch.groups) group.owner.rejectGroup(group, error);
  }

  /** Ends every queued group with `error`. */
  #rejectGroups(error: unknown): void {
    while (this.#groupsQueued > 0) {
      const group = this.#shiftGroup();
      this.#watches.unwatch(group.signal);
      group.owner.rejectGroup(group, error);
    }
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
      moduleLabel(this.#moduleUrl),
      this.#exports,
      this.context,
      "does not export a function of that name",
      error,
    );
  }

  /** The `TimeoutError` of the item of source index `index`. */
  #timeoutError(index: number): TimeoutError {
    return new TimeoutError(`stage "${this.stage}" item ${index}`, this.#timeoutMs ?? 0);
  }

  /** Settles the open attempt at `k` in `batch` with `error`. */
  #reject(batch: AttemptBatch, k: number, error: unknown, step?: FailedStep): void {
    const settle = batch.settles[k]!;
    batch.settles[k] = undefined;
    batch.open--;
    this.#watches.unwatch(batch.attempts[k]!.signal);
    settle.reject(error, step);
  }

  /** Settles an open attempt still queued with `error` (`remove` clears its place). */
  #rejectQueued(a: Attempt, settle: Settle, remove: () => void, error: unknown): void {
    remove();
    this.#watches.unwatch(a.signal);
    settle.reject(error);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  /** A signal aborted: settle its attempts with the reason; cancel the ones running in workers. */
  #aborted(signal: AbortSignal): void {
    const reason: unknown = signal.reason;
    this.#queues.forEachOpen((a, settle, remove) => {
      if (a.signal !== signal) return;
      this.#queues.pending--;
      this.#rejectQueued(a, settle, remove, reason);
    });
    const queued = this.#groups;
    for (let k = this.#groupsHead; k < queued.length; k++) {
      const group = queued[k]!;
      if (group.signal !== signal) continue;
      queued.splice(k--, 1);
      group.owner.rejectGroup(group, reason);
    }
    for (const batch of [...this.#inFlight]) {
      if (batch instanceof GroupBatch) {
        // (a batch's groups share one signal)
        if (batch.ended || batch.groups[0]!.signal !== signal) continue;
        batch.ended = true;
        for (const group of batch.groups) group.owner.rejectGroup(group, reason);
        for (let k = 0; k < batch.size; k++) if (this.#inFlight.has(batch)) this.#pool.cancel(batch, k, reason);
        continue;
      }
      for (let k = 0; k < batch.size; k++) {
        if (batch.settles[k] === undefined || batch.attempts[k]!.signal !== signal) continue;
        this.#reject(batch, k, reason);
        if (this.#inFlight.has(batch)) this.#pool.cancel(batch, k, reason);
      }
    }
  }
}

/** True when `item` holds an ArrayBuffer that was moved away. */
function detached(item: unknown): boolean {
  return item !== null && typeof item === "object" && hasDetachedBuffer(item);
}
