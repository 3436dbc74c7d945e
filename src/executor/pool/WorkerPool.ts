import { WorkerCrashedError } from "../../errors/WorkerCrashedError.js";
import { WorkerOutOfMemoryError } from "../../errors/WorkerOutOfMemoryError.js";
import { WorkerProtocolError } from "../../errors/WorkerProtocolError.js";
import { systemClock, type Clock, type TimerHandle } from "../../time/Clock.js";
import { keepAlive } from "../../time/keepAlive.js";
import type { PoolSettings } from "./PoolOptions.js";
import { ProcessHandle } from "./ProcessHandle.js";
import { serializeError } from "./SerializedError.js";
import { ThreadHandle } from "./ThreadHandle.js";
import {
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_READY,
  MSG_UNCHAIN,
  type ChainMessage,
  type ChainStep,
  type FromWorker,
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
 * replaces workers that crash, run out of memory, reach `maxItemsPerWorker` or `maxMemoryMb`;
 * stops idle workers above `minWorkers`; terminates a worker whose cancelled item does not stop
 * within `cancelGraceMs`.
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
  #rr = 0;
  #pumping = false;
  #closed = false;
  #idleTimer: TimerHandle | undefined;
  /** Waiters for {@link atMinimum}. */
  #minimumWaiters: Array<() => void> = [];
  /** Workers in a row that died before they were ready; at 3 the pool stops keeping `minWorkers` up. */
  #startFailures = 0;
  /** The last loop delay any worker reported (kept when workers exit). */
  #lastLoopDelayMs = 0;

  constructor(context: "worker" | "process", moduleUrl: string, settings: PoolSettings, clock: Clock = systemClock) {
    this.context = context;
    this.moduleUrl = moduleUrl;
    this.settings = settings;
    this.#clock = clock;
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
   * it stopped and exited, crashed ones replaced), or none once three workers in a row died before
   * their module loaded (the pool then starts workers only for items). For tests and graceful
   * shutdown.
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
    for (const w of this.#workers) if (w.batches.size > 0 || w.stopped !== undefined) return;
    const waiters = this.#minimumWaiters;
    this.#minimumWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Declares a chain of stages (with the stage's timeout, enforced in the worker); returns its id for batches. */
  registerChain(stage: string, steps: readonly ChainStep[], timeoutMs?: number): number {
    const chain: ChainMessage = { t: MSG_CHAIN, id: this.#nextChainId++, stage, steps, to: timeoutMs };
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
      let progress = true;
      while (progress) {
        progress = false;
        for (let c = 0; c < clients.length; c++) {
          const client = clients[(this.#rr + c) % clients.length]!;
          if (!client.ready()) continue;
          const isolating = client.isolating();
          const worker = (isolating ? this.#pickIdle() : this.#pick()) ?? this.#grow();
          if (worker === undefined) {
            if (isolating) continue;
            return;
          }
          if (this.#dispatch(worker, client)) progress = true;
        }
        this.#rr++;
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
    if (w.stopped !== undefined || w.retiring || w.grace.size > 0) return false;
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
    if (first) this.#startHead(w);
    if (limit > 0 && w.taken >= limit) w.retiring = true;
    return true;
  }

  /** The worker starts on its oldest batch now (if its module has loaded): watch its limit. */
  #startHead(w: PoolWorker): void {
    w.watchdog?.cancel();
    w.watchdog = undefined;
    if (!w.ready || w.stopped !== undefined) return;
    const head = w.batches.values().next();
    if (head.done === true) return;
    const batch = head.value[0];
    w.headSince = this.#clock.now();
    if (batch.limitMs === undefined) return;
    w.watchdog = this.#clock.setTimer(() => {
      w.watchdog = undefined;
      if (w.batches.values().next().value?.[0] !== batch) return;
      w.overdue = batch;
      this.#stop(w, "overdue");
    }, batch.limitMs + this.settings.cancelGraceMs);
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
    if (m.t === MSG_READY) {
      w.ready = true;
      this.#startFailures = 0;
      this.#startHead(w);
      return;
    }
    if (m.t === MSG_CANCELLED) {
      const timers = w.grace.get(m.b);
      timers?.get(m.k)?.cancel();
      timers?.delete(m.k);
      if (timers?.size === 0) w.grace.delete(m.b);
      if (w.grace.size === 0) this.pump();
      return;
    }
    const held = w.batches.get(m.b);
    if (held === undefined) return;
    const wasHead = w.batches.keys().next().value === m.b;
    w.batches.delete(m.b);
    if (wasHead) this.#startHead(w);
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

  /** After a worker finished a batch: stop it if retiring, else note when it went idle. */
  #settledOne(w: PoolWorker): void {
    if (w.batches.size > 0 || w.stopped !== undefined) return;
    if (w.retiring) {
      this.#stop(w, "retired");
      return;
    }
    w.idleSince = this.#clock.now();
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
    if (!w.ready && w.stopped === undefined) this.#startFailures++;
    if (w.batches.size > 0) {
      const error = this.#exitError(w, exit);
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

  #exitError(w: PoolWorker, exit: WorkerExit): Error {
    const ctx = this.context;
    if (exit.outOfMemory) return new WorkerOutOfMemoryError(ctx, exit.error);
    if (w.stopped === "stuck") {
      return new WorkerCrashedError(
        ctx,
        `was stopped: an item it held ignored its cancellation for ${this.settings.cancelGraceMs} ms`,
      );
    }
    if (w.stopped === "overdue")
      return new WorkerCrashedError(ctx, "was stopped: an item it held ran past its timeout");
    if (w.stopped === "closed") return new WorkerCrashedError(ctx, "was stopped: the pool closed");
    if (exit.error instanceof WorkerProtocolError) {
      return new WorkerCrashedError(ctx, `was stopped: ${exit.error.reason}`, { cause: exit.error });
    }
    return new WorkerCrashedError(ctx, "exited while holding items", {
      exitCode: exit.code,
      signalName: exit.signal,
      cause: exit.error,
    });
  }

  /** `minWorkers`, or 0 once three workers in a row died before their module loaded. */
  #minimum(): number {
    return this.#startFailures >= 3 ? 0 : this.settings.minWorkers;
  }

  #ensureMinimum(): void {
    while (this.size < this.#minimum()) this.#spawn();
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
