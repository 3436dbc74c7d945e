import { exitError } from "./exitError.js";
import { systemClock, type Clock } from "../../../time/Clock.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { ProcessHandle } from "../handle/ProcessHandle.js";
import { Heartbeat } from "./Heartbeat.js";
import { LoadBackoff } from "./LoadBackoff.js";
import { rebuildError, serializeError } from "../wire/SerializedError.js";
import { ThreadHandle } from "../handle/ThreadHandle.js";
import {
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CLOSE,
  MSG_CLOSING,
  MSG_HELD,
  MSG_LOAD_FAILED,
  MSG_OVERRAN,
  MSG_PONG,
  MSG_PROGRESS,
  MSG_READY,
  MSG_START,
  MSG_UNCHAIN,
  type ChainStep,
  type FromWorker,
  type ResultMessage,
  type WorkerEnd,
} from "../wire/WireMessage.js";
import type { WorkerExit, WorkerHandle } from "../handle/WorkerHandle.js";
import type { PoolBatch, PoolClient } from "./PoolClient.js";
import { PoolWorker, type StopReason } from "./PoolWorker.js";
import { ChainTable } from "./ChainTable.js";
import { ItemCosts } from "./ItemCosts.js";
import { MessageInbox } from "./MessageInbox.js";
import { PoolSize } from "./PoolSize.js";
import { Watchdog } from "./Watchdog.js";
import { workerExited, workerStarted } from "../../../events/diagnostics.js";
import { pickIdleWorker, pickWorker } from "./pickWorker.js";
import type { PoolReading } from "../../../stats/MetricsSink.js";

export type { OutgoingBatch, PoolBatch, PoolClient, PoolFailure } from "./PoolClient.js";
export { PoolWorker } from "./PoolWorker.js";

/** The stops that end a worker gracefully, and what its module's teardown is told. */
const GRACEFUL_END: Partial<Record<StopReason, WorkerEnd>> = { idle: "idle", retired: "recycled", closed: "closed" };

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
  readonly #chains = new ChainTable();
  /** What an item of each chain run here cost: where a new executor of the chain starts its batch size. */
  readonly itemCosts = new ItemCosts();
  #nextBatchId = 0;
  /** Where the next pump starts among the clients (round robin). */
  #nextClient = 0;
  #pumping = false;
  #closed = false;
  /** Failed loads of the module in a row, and the backoff they impose. */
  readonly #load: LoadBackoff;
  /** `minWorkers` kept up, idle workers above it stopped. */
  readonly #size: PoolSize;
  /** The liveness check of workers holding items. */
  readonly #heartbeat: Heartbeat;
  /** The timing of items and batches inside workers (stages with a timeout). */
  readonly #watchdog: Watchdog;
  /** The last loop delay any worker reported (kept when workers exit). */
  #lastLoopDelayMs = 0;
  /** Workers that ended for another reason than idleness or the pool closing. */
  #restarts = 0;
  /** Workers' messages, handled in the check phase (so a busy worker cannot hold the loop's timers back). */
  readonly #inbox = new MessageInbox<PoolWorker, FromWorker>((w, m) => this.#onMessage(w, m));

  constructor(context: "worker" | "process", moduleUrl: string, settings: PoolSettings, clock: Clock = systemClock) {
    this.context = context;
    this.moduleUrl = moduleUrl;
    this.settings = settings;
    this.#clock = clock;
    this.#load = new LoadBackoff(clock, settings.loadAttempts, () => {
      if (this.#closed) return;
      this.#size.ensureMinimum();
      this.pump();
    });
    this.#size = new PoolSize(clock, settings.minWorkers, settings.idleTimeoutMs, this.#load, {
      workers: () => this.#workers,
      live: () => this.size,
      spawn: () => this.#spawn(),
      stop: (w, reason) => this.#stop(w, reason),
    });
    this.#heartbeat = new Heartbeat(clock, settings.heartbeatMs, settings.unresponsiveMs, context === "process", {
      workers: () => this.#workers,
      send: (w, message) => this.#send(w, message),
      stop: (w, reason) => this.#stop(w, reason),
    });
    this.#watchdog = new Watchdog(clock, settings.cancelGraceMs, {
      stop: (w, reason) => this.#stop(w, reason),
      pump: () => this.pump(),
    });
    this.#size.ensureMinimum();
  }

  /** Live workers (not counting ones being stopped). */
  get size(): number {
    let n = 0;
    for (const w of this.#workers) if (w.stopped === undefined) n++;
    return n;
  }

  /** Its workers by state, restarts so far, and each worker's last loop delay (read at a metrics scrape). */
  stats(): PoolReading {
    const workers = { starting: 0, idle: 0, busy: 0, stopping: 0 };
    const workerLoopDelayMs: number[] = [];
    for (const w of this.#workers) {
      if (w.stopped !== undefined) workers.stopping++;
      else if (!w.ready) workers.starting++;
      else if (w.batches.size > 0) workers.busy++;
      else workers.idle++;
      if (w.stopped === undefined && w.loopDelayMs >= 0) workerLoopDelayMs.push(w.loopDelayMs);
    }
    return { context: this.context, workers, restarts: this.#restarts, workerLoopDelayMs };
  }

  /** Chains declared and not yet forgotten (one per open executor). */
  get chainCount(): number {
    return this.#chains.size;
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
    return this.#size.atMinimum();
  }

  /** Declares a chain of stages (with the stage's timeout, enforced in the worker); returns its id for batches. */
  registerChain(stage: string, steps: readonly ChainStep[], timeoutMs?: number): number {
    const chain = this.#chains.add(stage, steps, timeoutMs, this.settings.concurrencyPerWorker);
    for (const w of this.#workers) if (w.stopped === undefined) this.#send(w, chain);
    return chain.id;
  }

  /**
   * Forgets a chain whose executor closed, here and in every worker: a pool that outlives many
   * runs (shared, or kept warm by `minWorkers`) must not collect one chain per run.
   */
  unregisterChain(id: number): void {
    if (!this.#chains.remove(id)) return;
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
        for (const client of [...clients])
          if (client.ready()) client.unloadable(this.#load.error, this.#load.inSetup, []);
        return;
      }
      let progress = true;
      while (progress) {
        progress = false;
        for (let c = 0; c < clients.length; c++) {
          const client = clients[(this.#nextClient + c) % clients.length]!;
          if (!client.ready()) continue;
          const isolating = client.isolating();
          const worker =
            (isolating ? pickIdleWorker(this.#workers) : pickWorker(this.#workers, this.settings.batchesPerWorker)) ??
            this.#grow();
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
    w.armGrace(
      batch.id,
      k,
      this.#clock.setTimer(() => this.#stop(w, "stuck"), this.settings.cancelGraceMs),
    );
  }

  /** Stops every worker; resolves once all have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#size.close();
    this.#load.close();
    this.#heartbeat.close();
    const exits = this.#workers.map((w) => w.handle.exited);
    for (const w of [...this.#workers]) this.#stop(w, "closed");
    await Promise.all(exits);
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
    let bytes: number;
    try {
      bytes = w.handle.send(out.message, out.transfer);
    } catch (error) {
      w.batches.delete(batch.id);
      batch.worker = undefined;
      client.failed(batch, { error, alone: true, overdue: false, final: false });
      this.#settledOne(w);
      return true;
    }
    if (bytes >= 0) client.sent(batch.size, bytes);
    if (first) this.#watchdog.headChanged(w);
    if (limit > 0 && w.taken >= limit) w.retiring = true;
    this.#heartbeat.start();
    return true;
  }

  /** Starts a worker: its data first, then the chains it may run. */
  #spawn(): PoolWorker {
    const s = this.settings;
    // eslint-disable-next-line prefer-const
    let worker: PoolWorker;
    const events = {
      message: (m: FromWorker): void => this.#inbox.push(worker, m),
      exit: (e: WorkerExit): void => this.#onExit(worker, e),
    };
    const handle: WorkerHandle =
      this.context === "worker"
        ? new ThreadHandle(this.moduleUrl, s, events)
        : new ProcessHandle(this.moduleUrl, s, events);
    worker = new PoolWorker(handle);
    workerStarted(this.context, this.moduleUrl, handle.pid);
    worker.idleSince = this.#clock.now();
    handle.unref();
    this.#workers.push(worker);
    this.#send(worker, { t: MSG_START, d: s.workerData });
    for (const chain of this.#chains.all()) this.#send(worker, chain);
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
        this.#size.started();
        this.#load.loaded();
        this.#watchdog.headChanged(w);
        this.#size.ensureMinimum();
        this.pump();
        return;
      case MSG_LOAD_FAILED:
        this.#loadFailed(w, rebuildError(m.e), m.s === 1);
        return;
      case MSG_CLOSING:
        // its items are out: teardown gets the whole closeGraceMs
        if (w.killTimer !== undefined) this.#armKill(w, this.settings.closeGraceMs);
        return;
      case MSG_PONG:
        this.#heartbeat.answered(w, m.s);
        return;
      case MSG_PROGRESS:
        this.#watchdog.progress(w, m);
        return;
      case MSG_OVERRAN:
        // the item (noted, or read from a thread's cell) is out of its function, and the worker
        // starts nothing until it hears which of its batches it still holds (those not taken
        // while the item was judged stuck)
        this.#watchdog.progress(w, { t: MSG_PROGRESS, b: -1, k: -1 });
        this.#send(w, { t: MSG_HELD, b: [...w.batches.keys()] });
        return;
      case MSG_CANCELLED:
        if (w.cancelStopped(m.b, m.k)) this.pump();
        return;
      default:
        this.#onResult(w, m);
    }
  }

  /**
   * A worker whose item ran past its timeout answered after all: keep it (a thread) or retire it.
   * Either way what waits is sent now: the batches taken from it when its item was judged stuck
   * may have found no other worker (a pool at `maxWorkers` counts the stuck one), and the message
   * that brought it back (a progress note, or the reply to a batch taken away) sends nothing.
   */
  #cameBack(w: PoolWorker): void {
    w.hung?.cancel();
    w.hung = undefined;
    // a child process that had an item time out may have left processes behind: end its group
    if (this.context === "process") w.retiring = true;
    this.#settledOne(w);
    this.pump();
  }

  #onResult(w: PoolWorker, m: ResultMessage): void {
    const held = w.batches.get(m.b);
    if (held === undefined) return; // it was taken away (sent elsewhere or failed)
    const wasHead = w.batches.keys().next().value === m.b;
    w.batches.delete(m.b);
    w.progressAt = this.#clock.now();
    if (w.progressBatch === held[0]) w.progressBatch = undefined;
    if (wasHead) this.#watchdog.headChanged(w);
    w.cancelGrace(m.b);
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
  #loadFailed(w: PoolWorker, cause: unknown, inSetup: boolean): void {
    if (w.stopped !== undefined) return;
    const gaveUp = this.#load.failed(cause, inSetup);
    const held = w.takeBatches();
    this.#stop(w, "unloadable");
    if (gaveUp) {
      for (const client of [...this.#clients]) {
        const mine: PoolBatch[] = [];
        for (const [b, c] of held) if (c === client) mine.push(b);
        client.unloadable(cause, inSetup, mine);
      }
    } else for (const [b, client] of held) client.resend(b, -1);
    this.#size.ensureMinimum();
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
    this.#size.wentIdle();
    this.#size.check();
  }

  /**
   * Stops a worker. One that is idle, recycled or closed with its pool ends gracefully when its
   * module is ready: it is asked to close (its items' signals abort, its module's teardown runs,
   * it exits on its own), and ended by force if it has not exited within `cancelGraceMs` (while
   * it still runs items) and then `closeGraceMs`. Any other stop ends it at once.
   */
  #stop(w: PoolWorker, reason: StopReason): void {
    if (w.stopped !== undefined) return;
    // still running items: held ones, cancelled ones not yet stopped, or one stuck past its timeout
    const busy = w.batches.size > 0 || w.grace.size > 0 || w.hung !== undefined;
    w.stopped = reason;
    w.hung?.cancel();
    w.hung = undefined;
    w.handle.ref(); // so close() can wait for the exit
    const end = GRACEFUL_END[reason];
    if (end === undefined || !w.ready || this.settings.closeGraceMs === 0) {
      w.handle.kill();
      return;
    }
    this.#send(w, { t: MSG_CLOSE, r: end });
    this.#armKill(w, busy ? this.settings.cancelGraceMs : this.settings.closeGraceMs);
  }

  #armKill(w: PoolWorker, ms: number): void {
    w.killTimer?.cancel();
    w.killTimer = this.#clock.setTimer(() => w.handle.kill(), ms);
  }

  #onExit(w: PoolWorker, exit: WorkerExit): void {
    // what it sent before it exited comes first
    this.#inbox.flush();
    workerExited(this.context, this.moduleUrl, w.handle.pid, exit, w.batches.size);
    const i = this.#workers.indexOf(w);
    if (i >= 0) this.#workers.splice(i, 1);
    if (!this.#closed && w.stopped !== "idle" && w.stopped !== "closed") this.#restarts++;
    w.clearTimers();
    if (!w.ready && w.stopped === undefined) this.#size.startFailed();
    if (w.batches.size > 0) {
      const error = exitError(this.context, this.settings, w.stopped, exit);
      const held = [...w.batches.values()];
      w.batches.clear();
      const alone = held.length === 1;
      const final = w.stopped === "closed";
      for (const [batch, client] of held) client.failed(batch, { error, alone, overdue: batch === w.overdue, final });
    }
    if (this.#closed) return;
    this.#size.ensureMinimum();
    this.pump();
    this.#size.check();
  }
}
