import { exitError } from "./exitError.js";
import { systemClock, type Clock, type TimerHandle } from "../../time/Clock.js";
import { keepAlive } from "../../time/keepAlive.js";
import type { PoolSettings } from "./PoolOptions.js";
import { ProcessHandle } from "./ProcessHandle.js";
import { Heartbeat } from "./Heartbeat.js";
import { LoadBackoff } from "./LoadBackoff.js";
import { rebuildError, serializeError } from "./SerializedError.js";
import { ThreadHandle } from "./ThreadHandle.js";
import {
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_LOAD_FAILED,
  MSG_PONG,
  MSG_PROGRESS,
  MSG_READY,
  MSG_UNCHAIN,
  type ChainMessage,
  type ChainStep,
  type FromWorker,
  type ProgressMessage,
  type ResultMessage,
} from "./WireMessage.js";
import type { WorkerExit, WorkerHandle } from "./WorkerHandle.js";
import type { PoolBatch, PoolClient } from "./PoolClient.js";
import { PoolWorker, type StopReason } from "./PoolWorker.js";

export type { OutgoingBatch, PoolBatch, PoolClient, PoolFailure } from "./PoolClient.js";
export { PoolWorker } from "./PoolWorker.js";

/**
 * A pool of worker threads or child processes running one module, shared by every executor
 * (stage) that names the module with the same options. Sends batches pull-style: a worker gets
 * a batch when it holds fewer than `batchesPerWorker`; grows on demand up to `maxWorkers`;
 * replaces workers that crash, run out of memory, reach `maxItemsPerWorker` or `maxMemoryMb`,
 * fail to load the module (with backoff, then gives up: see `loadAttempts`), are stopped by the
 * system or stop answering heartbeats (`heartbeatMs`, `unresponsiveMs`); stops idle workers above
 * `minWorkers`; terminates a worker whose cancelled item does not stop within `cancelGraceMs`,
 * and moves what a worker holds elsewhere as soon as one of its items runs past its timeout
 * inside its synchronous call.
 */
export class WorkerPool {
  readonly context: "worker" | "process";
  readonly moduleUrl: string;
  readonly settings: PoolSettings;
  readonly #clock: Clock;
  readonly #workers: PoolWorker[] = [];
  readonly #clients: PoolClient[] = [];
  readonly #chains: ChainMessage[] = [];
  #nextBatchId = 0;
  #nextChainId = 0;
  /** Where the next pump starts among the clients (round robin). */
  #nextClient = 0;
  #pumping = false;
  #closed = false;
  #idleTimer: TimerHandle | undefined;
  /** Waiters for {@link atMinimum}. */
  #minimumWaiters: Array<() => void> = [];
  /** Workers in a row that died before they were ready; at 3 the pool stops keeping `minWorkers` up. */
  #startFailures = 0;
  /** Failed loads of the module in a row, and the backoff they impose. */
  readonly #load: LoadBackoff;
  /** The liveness check of workers holding items. */
  readonly #heartbeat: Heartbeat;
  /** The last loop delay any worker reported (kept when workers exit). */
  #lastLoopDelayMs = 0;

  constructor(context: "worker" | "process", moduleUrl: string, settings: PoolSettings, clock: Clock = systemClock) {
    this.context = context;
    this.moduleUrl = moduleUrl;
    this.settings = settings;
    this.#clock = clock;
    this.#load = new LoadBackoff(clock, settings.loadAttempts, () => {
      if (this.#closed) return;
      this.#ensureMinimum();
      this.pump();
    });
    this.#heartbeat = new Heartbeat(clock, settings.heartbeatMs, settings.unresponsiveMs, context === "process", {
      workers: () => this.#workers,
      send: (w, message) => this.#send(w, message),
      stop: (w, reason) => this.#stop(w, reason),
    });
    this.#ensureMinimum();
  }

  /** Live workers (not counting ones being stopped). */
  get size(): number {
    let n = 0;
    for (const w of this.#workers) if (w.stopped === undefined) n++;
    return n;
  }

  /** Chains declared and not yet forgotten (one per open executor). */
  get chainCount(): number {
    return this.#chains.length;
  }

  /** Every worker process/thread not yet exited, stopping ones included. */
  get running(): number {
    return this.#workers.length;
  }

  /**
   * Resolves once the pool holds no items and runs exactly `minWorkers` workers (idle ones above
   * it stopped and exited, crashed ones replaced), or none once the pool gave up keeping workers
   * up: three workers in a row died before their module loaded, or `loadAttempts` in a row failed
   * to load it (the pool then starts workers only for items). For tests and graceful shutdown.
   */
  atMinimum(): Promise<void> {
    return new Promise<void>((resolve) => {
      // idle workers and pool timers do not keep the process alive; a waiter does
      const release = keepAlive();
      this.#minimumWaiters.push(() => {
        release();
        resolve();
      });
      this.#checkMinimum();
    });
  }

  #checkMinimum(): void {
    if (this.#minimumWaiters.length === 0) return;
    if (this.#workers.length !== this.#minimum()) return;
    for (const w of this.#workers) if (w.batches.size > 0 || w.stopped !== undefined || w.hung) return;
    const waiters = this.#minimumWaiters;
    this.#minimumWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Declares a chain of stages (with the stage's timeout, enforced in the worker); returns its id for batches. */
  registerChain(stage: string, steps: readonly ChainStep[], timeoutMs?: number): number {
    const chain: ChainMessage = {
      t: MSG_CHAIN,
      id: this.#nextChainId++,
      stage,
      steps,
      to: timeoutMs,
      p: this.settings.concurrencyPerWorker,
    };
    this.#chains.push(chain);
    for (const w of this.#workers) if (w.stopped === undefined) this.#send(w, chain);
    return chain.id;
  }

  /**
   * Forgets a chain whose executor closed, here and in every worker: a pool that outlives many
   * runs (shared, or kept warm by `minWorkers`) must not collect one chain per run.
   */
  unregisterChain(id: number): void {
    const i = this.#chains.findIndex((c) => c.id === id);
    if (i < 0) return;
    this.#chains.splice(i, 1);
    for (const w of this.#workers) if (w.stopped === undefined) this.#send(w, { t: MSG_UNCHAIN, id });
  }

  attach(client: PoolClient): void {
    this.#clients.push(client);
  }

  detach(client: PoolClient): void {
    const i = this.#clients.indexOf(client);
    if (i >= 0) this.#clients.splice(i, 1);
  }

  /**
   * Mean event-loop delay across live workers, in ms, from their last reports; once none is
   * live, the last report any gave (0 before any).
   */
  loopDelayMs(): number {
    let sum = 0;
    let n = 0;
    for (const w of this.#workers) {
      if (w.loopDelayMs >= 0) {
        sum += w.loopDelayMs;
        n++;
      }
    }
    return n === 0 ? this.#lastLoopDelayMs : sum / n;
  }

  /** Sends batches while clients have items and workers have room. */
  pump(): void {
    if (this.#closed || this.#pumping) return;
    this.#pumping = true;
    try {
      const clients = this.#clients;
      // gave up on the module, and not trying again yet: what waits fails at once
      if (this.#load.coolingDown) {
        for (const client of [...clients]) if (client.ready()) client.unloadable(this.#load.error, []);
        return;
      }
      let progress = true;
      while (progress) {
        progress = false;
        for (let c = 0; c < clients.length; c++) {
          const client = clients[(this.#nextClient + c) % clients.length]!;
          if (!client.ready()) continue;
          const isolating = client.isolating();
          const worker = (isolating ? this.#pickIdle() : this.#pick()) ?? this.#grow();
          if (worker === undefined) {
            if (isolating) continue;
            return;
          }
          if (this.#dispatch(worker, client)) progress = true;
        }
        this.#nextClient++;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Forwards the cancellation of item `k` of `batch` to its worker; if the item has not stopped
   * within `cancelGraceMs`, the worker is terminated.
   */
  cancel(batch: PoolBatch, k: number, reason: unknown): void {
    const w = batch.worker;
    if (w === undefined || w.stopped !== undefined || !w.batches.has(batch.id)) return;
    this.#send(w, { t: MSG_CANCEL, b: batch.id, k, r: serializeError(reason) });
    let timers = w.grace.get(batch.id);
    if (timers === undefined) w.grace.set(batch.id, (timers = new Map()));
    timers.set(
      k,
      this.#clock.setTimer(() => this.#stop(w, "stuck"), this.settings.cancelGraceMs),
    );
  }

  /** Stops every worker; resolves once all have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
    this.#load.close();
    this.#heartbeat.close();
    const exits = this.#workers.map((w) => w.handle.exited);
    for (const w of [...this.#workers]) this.#stop(w, "closed");
    await Promise.all(exits);
  }

  #pick(): PoolWorker | undefined {
    const depth = this.settings.batchesPerWorker;
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      // a worker with a cancelled item that has not stopped yet may be stuck: it gets nothing new
      if (!this.#available(w) || w.batches.size >= depth) continue;
      if (best === undefined || w.batches.size < best.batches.size) best = w;
    }
    return best;
  }

  /** A worker holding nothing, for an isolated batch. */
  #pickIdle(): PoolWorker | undefined {
    for (const w of this.#workers) if (this.#available(w) && w.batches.size === 0) return w;
    return undefined;
  }

  #available(w: PoolWorker): boolean {
    if (w.stopped !== undefined || w.retiring || w.grace.size > 0 || w.hung !== undefined) return false;
    // an isolated batch has its worker to itself
    for (const [b] of w.batches.values()) if (b.isolated) return false;
    return true;
  }

  /** Starts a worker when demand allows one more. */
  #grow(): PoolWorker | undefined {
    let wanted = 0;
    for (const c of this.#clients) if (c.active()) wanted += c.workersWanted;
    // every worker not yet exited counts, retiring and stopping ones too: maxWorkers is a bound on
    // threads or processes, not on the ones taking work
    if (this.#workers.length >= Math.min(this.settings.maxWorkers, Math.max(wanted, this.settings.minWorkers)))
      return undefined;
    if (!this.#load.mayStart(this.#workers)) return undefined;
    return this.#spawn();
  }

  #dispatch(w: PoolWorker, client: PoolClient): boolean {
    const limit = this.settings.maxItemsPerWorker;
    const out = client.nextBatch(
      this.#nextBatchId++,
      limit > 0 ? Math.max(1, limit - w.taken) : Number.MAX_SAFE_INTEGER,
    );
    if (out === undefined) return false;
    const batch = out.batch;
    batch.worker = w;
    const first = w.batches.size === 0;
    w.batches.set(batch.id, [batch, client]);
    w.taken += batch.size;
    if (!w.referenced) {
      w.referenced = true;
      w.handle.ref();
    }
    try {
      w.handle.send(out.message, out.transfer);
    } catch (error) {
      w.batches.delete(batch.id);
      batch.worker = undefined;
      client.failed(batch, { error, alone: true, overdue: false, final: false });
      this.#settledOne(w);
      return true;
    }
    if (first) this.#headChanged(w);
    if (limit > 0 && w.taken >= limit) w.retiring = true;
    this.#heartbeat.start();
    return true;
  }

  /** The worker starts on its oldest batch now (if its module has loaded): watch its limit. */
  #headChanged(w: PoolWorker): void {
    w.headSince = this.#clock.now();
    this.#watch(w);
  }

  /**
   * Arms the worker's watchdog for its earliest deadline: the noted item's timeout, from when it
   * entered its function; and, as a backstop, its oldest batch's limit (the stage's timeout plus
   * the batch's expected work) plus `cancelGraceMs`, from when the worker started on that batch or
   * last reported progress, whichever is later. Deadlines only move later, except when a new batch
   * becomes the oldest: then the timer is re-armed.
   */
  #watch(w: PoolWorker): void {
    if (!w.ready || w.stopped !== undefined || w.hung !== undefined) return;
    const at = w.deadline(this.settings.cancelGraceMs);
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
          this.#watchFired(w);
        }),
      Math.max(0, at - this.#clock.now()),
    );
  }

  #watchFired(w: PoolWorker): void {
    if (w.stopped !== undefined || w.hung !== undefined) return;
    const now = this.#clock.now();
    const b = w.progressBatch;
    if (b !== undefined && w.progressK >= 0 && b.timeoutMs !== undefined && now >= w.progressSince + b.timeoutMs) {
      this.#stuckItem(w, b, w.progressK);
      return;
    }
    const head = w.batches.values().next();
    if (head.done !== true && now >= w.deadline(this.settings.cancelGraceMs)) {
      // inside a batch not noted item by item: one of its items is stuck, the other batches are
      // not to blame and go elsewhere now; the batch's items are sent again alone (see Blame)
      const suspect = w.progressBatch;
      if (suspect !== undefined) {
        for (const [batch, client] of this.#takeBatches(w, suspect)) client.resend(batch, -1);
        this.pump();
      }
      w.overdue = suspect ?? head.value[0];
      this.#stop(w, "overdue");
      return;
    }
    this.#watch(w);
  }

  /**
   * Item `k` of `batch` has been inside its function's synchronous call for its whole timeout:
   * it fails with a `TimeoutError` now, everything else the worker holds goes to other workers
   * now, and the worker is stopped unless it shows life within `cancelGraceMs` (the item may
   * still return).
   */
  #stuckItem(w: PoolWorker, batch: PoolBatch, k: number): void {
    const held = this.#takeBatches(w);
    w.hung = this.#clock.setTimer(() => {
      w.hung = undefined;
      this.#stop(w, "stuck");
    }, this.settings.cancelGraceMs);
    for (const [b, client] of held) client.resend(b, b === batch ? k : -1);
    this.pump();
  }

  /**
   * Takes the batches `w` holds (all, or all but `keep`) away from it, to send elsewhere or fail,
   * with their cancel timers; without `keep`, its watchdog too.
   */
  #takeBatches(w: PoolWorker, keep?: PoolBatch): Array<[PoolBatch, PoolClient]> {
    const taken: Array<[PoolBatch, PoolClient]> = [];
    for (const [id, held] of [...w.batches]) {
      if (held[0] === keep) continue;
      taken.push(held);
      w.batches.delete(id);
      const timers = w.grace.get(id);
      if (timers !== undefined) for (const t of timers.values()) t.cancel();
      w.grace.delete(id);
    }
    if (keep === undefined) {
      w.progressBatch = undefined;
      w.watchdog?.cancel();
      w.watchdog = undefined;
      w.watchAt = Infinity;
    }
    return taken;
  }

  #spawn(): PoolWorker {
    const s = this.settings;
    // eslint-disable-next-line prefer-const
    let worker: PoolWorker;
    const events = {
      message: (m: FromWorker): void => this.#onMessage(worker, m),
      exit: (e: WorkerExit): void => this.#onExit(worker, e),
    };
    const handle: WorkerHandle =
      this.context === "worker"
        ? new ThreadHandle(this.moduleUrl, s, events)
        : new ProcessHandle(this.moduleUrl, s, events);
    worker = new PoolWorker(handle);
    worker.idleSince = this.#clock.now();
    handle.unref();
    this.#workers.push(worker);
    for (const chain of this.#chains) this.#send(worker, chain);
    return worker;
  }

  #send(w: PoolWorker, message: Parameters<WorkerHandle["send"]>[0]): void {
    try {
      w.handle.send(message, undefined);
    } catch {
      // the worker is going away; its exit fails what it holds
    }
  }

  #onMessage(w: PoolWorker, m: FromWorker): void {
    if (w.hung !== undefined) this.#cameBack(w);
    switch (m.t) {
      case MSG_READY:
        w.ready = true;
        this.#startFailures = 0;
        this.#load.loaded();
        this.#headChanged(w);
        this.#ensureMinimum();
        this.pump();
        return;
      case MSG_LOAD_FAILED:
        this.#loadFailed(w, rebuildError(m.e));
        return;
      case MSG_PONG:
        this.#heartbeat.answered(w, m.s);
        return;
      case MSG_PROGRESS:
        this.#onProgress(w, m);
        return;
      case MSG_CANCELLED: {
        const timers = w.grace.get(m.b);
        timers?.get(m.k)?.cancel();
        timers?.delete(m.k);
        if (timers?.size === 0) w.grace.delete(m.b);
        if (w.grace.size === 0) this.pump();
        return;
      }
      default:
        this.#onResult(w, m);
    }
  }

  /** A worker whose item ran past its timeout answered after all: keep it (a thread) or retire it. */
  #cameBack(w: PoolWorker): void {
    w.hung?.cancel();
    w.hung = undefined;
    // a child process that had an item time out may have left processes behind: end its group
    if (this.context === "process") w.retiring = true;
    this.#settledOne(w);
  }

  /** A progress note: one per item of a timed chain whose items are not tiny, so kept cheap. */
  #onProgress(w: PoolWorker, m: ProgressMessage): void {
    const now = this.#clock.now();
    w.noteProgress(m.b, m.k, now);
    // a later note only moves deadlines later (an armed watchdog re-arms itself when it fires);
    // a note that enters an item may bring its deadline before the oldest batch's
    const timeoutMs = w.progressBatch?.timeoutMs;
    if (w.watchdog === undefined || (m.k >= 0 && timeoutMs !== undefined && now + timeoutMs < w.watchAt))
      this.#watch(w);
  }

  #onResult(w: PoolWorker, m: ResultMessage): void {
    const held = w.batches.get(m.b);
    if (held === undefined) return; // it was taken away (sent elsewhere or failed)
    const wasHead = w.batches.keys().next().value === m.b;
    w.batches.delete(m.b);
    w.progressAt = this.#clock.now();
    if (w.progressBatch === held[0]) w.progressBatch = undefined;
    if (wasHead) this.#headChanged(w);
    const timers = w.grace.get(m.b);
    if (timers !== undefined) {
      for (const t of timers.values()) t.cancel();
      w.grace.delete(m.b);
    }
    if (m.d >= 0) {
      w.loopDelayMs = m.d;
      this.#lastLoopDelayMs = m.d;
    }
    // a timed-out item of a child process may have left processes behind: end its group soon
    if (m.o !== null && this.context === "process") w.retiring = true;
    if (m.m >= 0) {
      w.memoryMb = m.m;
      if (this.settings.maxMemoryMb > 0 && m.m > this.settings.maxMemoryMb) w.retiring = true;
    }
    held[1].completed(held[0], m);
    this.#settledOne(w);
    this.pump();
  }

  /**
   * The worker's module threw while loading: the worker is stopped and what it held goes to other
   * workers (it never ran), the next worker starting after a backoff; after `loadAttempts` such
   * failures in a row, what it held and everything waiting fails with the module's error.
   */
  #loadFailed(w: PoolWorker, cause: unknown): void {
    if (w.stopped !== undefined) return;
    const gaveUp = this.#load.failed(cause);
    const held = this.#takeBatches(w);
    this.#stop(w, "unloadable");
    if (gaveUp) {
      for (const client of [...this.#clients]) {
        const mine: PoolBatch[] = [];
        for (const [b, c] of held) if (c === client) mine.push(b);
        client.unloadable(cause, mine);
      }
    } else for (const [b, client] of held) client.resend(b, -1);
    this.#ensureMinimum();
    this.pump();
  }

  /** After a worker finished a batch: stop it if retiring, else note when it went idle. */
  #settledOne(w: PoolWorker): void {
    if (w.batches.size > 0 || w.stopped !== undefined || w.hung !== undefined) return;
    if (w.retiring) {
      this.#stop(w, "retired");
      return;
    }
    w.idleSince = this.#clock.now();
    w.pingAt = -1;
    if (w.referenced) {
      w.referenced = false;
      w.handle.unref();
    }
    this.#scheduleIdleCheck();
    this.#checkMinimum();
  }

  #stop(w: PoolWorker, reason: StopReason): void {
    if (w.stopped !== undefined) return;
    w.stopped = reason;
    w.hung?.cancel();
    w.hung = undefined;
    w.handle.ref(); // so close() can wait for the exit
    w.handle.kill();
  }

  #onExit(w: PoolWorker, exit: WorkerExit): void {
    const i = this.#workers.indexOf(w);
    if (i >= 0) this.#workers.splice(i, 1);
    for (const timers of w.grace.values()) for (const t of timers.values()) t.cancel();
    w.grace.clear();
    w.watchdog?.cancel();
    w.watchdog = undefined;
    w.hung?.cancel();
    w.hung = undefined;
    if (!w.ready && w.stopped === undefined) this.#startFailures++;
    if (w.batches.size > 0) {
      const error = exitError(this.context, this.settings, w.stopped, exit);
      const held = [...w.batches.values()];
      w.batches.clear();
      const alone = held.length === 1;
      const final = w.stopped === "closed";
      for (const [batch, client] of held) client.failed(batch, { error, alone, overdue: batch === w.overdue, final });
    }
    if (this.#closed) return;
    this.#ensureMinimum();
    this.pump();
    this.#checkMinimum();
  }

  /** `minWorkers`, or 0 once the pool gave up keeping workers up (see {@link atMinimum}). */
  #minimum(): number {
    return this.#startFailures >= 3 || this.#load.gaveUp ? 0 : this.settings.minWorkers;
  }

  #ensureMinimum(): void {
    while (this.size < this.#minimum() && this.#load.mayStart(this.#workers)) this.#spawn();
  }

  #scheduleIdleCheck(): void {
    if (this.#idleTimer !== undefined || this.#closed) return;
    this.#idleTimer = this.#clock.setTimer(() => {
      this.#idleTimer = undefined;
      this.#idleCheck();
    }, this.settings.idleTimeoutMs);
  }

  #idleCheck(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    let live = this.size;
    let waiting = false;
    for (const w of [...this.#workers]) {
      if (w.stopped !== undefined || w.batches.size > 0 || live <= this.settings.minWorkers) continue;
      if (now - w.idleSince >= this.settings.idleTimeoutMs) {
        this.#stop(w, "idle");
        live--;
      } else waiting = true;
    }
    if (waiting) this.#scheduleIdleCheck();
  }
}
