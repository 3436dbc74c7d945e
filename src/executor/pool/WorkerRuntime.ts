import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { TimeoutError } from "../../errors/TimeoutError.js";
import { BatchRun, DONE, LINGERING } from "./BatchRun.js";
import { ChainRunner } from "./ChainRunner.js";
import { retryAfterCount, retryAfters, type ItemContext } from "./ItemContext.js";
import { rebuildError, serializeError, type SerializedError } from "./SerializedError.js";
import {
  MSG_BATCH,
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_LOAD_FAILED,
  MSG_PING,
  MSG_PONG,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULT,
  MSG_UNCHAIN,
  type BatchMessage,
  type ChainMessage,
  type FailedItem,
  type FromWorker,
  type ToWorker,
} from "./WireMessage.js";

/** How often a worker piggybacks loop delay and memory on a reply, at most. */
const REPORT_EVERY_MS = 100;
/** Period of the tick that tells how long the loop has been blocked (timers starved). */
const TICK_MS = 10;
/**
 * In a chain with a timeout, items that take at least this long (ms, this worker's running
 * estimate) have their start noted to the parent one by one, so the parent can time a stuck
 * synchronous item from its own start. A note costs a few µs between the two sides (tiny items
 * noted one by one ran 3-5× slower); below this, a batch is noted once (see ProgressMessage).
 */
const NOTE_EACH_MIN_MS = 0.1;

/** What a worker entry gives the runtime: a way to send, and how to read its memory. */
export interface WorkerPort {
  /** Sends a message; throws when it cannot be encoded. */
  send(message: FromWorker, values: readonly unknown[] | undefined): void;
  /** Throws when `value` cannot cross to the parent. */
  check(value: unknown): void;
  /** Memory in MB the pool compares with `maxMemoryMb`. */
  memoryMb(): number;
}

/**
 * Everything that runs inside a worker thread or child process, whatever the transport: loads
 * the module (or reports that it failed to, and runs nothing), declares chains, runs batches with
 * at most `concurrencyPerWorker` items inside the functions at once, measures time per item,
 * loop delay and memory, answers heartbeats from its event loop, notes item starts of timed
 * chains, and honours cancellations.
 */
export class WorkerRuntime {
  readonly #moduleUrl: string;
  readonly #port: WorkerPort;
  readonly #chainDefs = new Map<number, ChainMessage>();
  readonly #chains = new Map<number, ChainRunner | SerializedError>();
  /** Per chain: this worker's running estimate of ms per item (for progress notes). */
  readonly #perItemMs = new Map<number, number>();
  /** Batches started and not answered yet. */
  readonly #open = new Map<number, BatchRun>();
  readonly #histogram: IntervalHistogram;
  #module: Record<string, unknown> | undefined;
  /** Batches received and not started; they start one per loop turn once the module has loaded. */
  readonly #batches: BatchMessage[] = [];
  #batchHead = 0;
  /** The started batch whose items are still being started, in order. */
  #current: BatchRun | undefined;
  /** Items inside the functions asynchronously (a promise neither settled nor timed out). */
  #inFunction = 0;
  /** Most items inside the functions at once (the pool's `concurrencyPerWorker`). */
  #limit = 1;
  #loaded = false;
  #scheduled = false;
  /** The last progress note said the loop is busy with items: a note says when it is not. */
  #busyNoted = false;
  readonly #runNext = (): void => {
    this.#scheduled = false;
    if (this.#current === undefined && this.#batchHead < this.#batches.length) {
      const m = this.#batches[this.#batchHead]!;
      this.#batches[this.#batchHead++] = undefined as never;
      if (this.#batchHead === this.#batches.length) {
        this.#batches.length = 0;
        this.#batchHead = 0;
      }
      this.#begin(m);
    }
    this.#advance();
  };
  #lastReport = 0;
  /** Last time the tick ran: a loop blocked by work leaves it behind. */
  #lastTick = performance.now();
  /** Cancellations that arrived before their batch started, by batch then position. */
  readonly #early = new Map<number, Map<number, unknown>>();

  constructor(moduleUrl: string, port: WorkerPort) {
    this.#moduleUrl = moduleUrl;
    this.#port = port;
    this.#histogram = monitorEventLoopDelay({ resolution: TICK_MS });
    this.#histogram.enable();
    setInterval(() => {
      this.#lastTick = performance.now();
    }, TICK_MS).unref();
    import(moduleUrl).then(
      (m: Record<string, unknown>) => {
        this.#module = m;
        this.#loaded = true;
        this.#port.send({ t: MSG_READY }, undefined);
        this.#schedule();
      },
      // the pool stops this worker and starts another: a module that failed to load once may load
      // the next time (a transient fault), and what this worker holds never ran
      (error: unknown) => this.#port.send({ t: MSG_LOAD_FAILED, e: serializeError(error) }, undefined),
    );
  }

  /** Handles one message from the parent. */
  receive(message: ToWorker): void {
    switch (message.t) {
      case MSG_BATCH:
        this.#batches.push(message);
        this.#schedule();
        break;
      case MSG_CHAIN:
        this.#chainDefs.set(message.id, message);
        this.#limit = Math.max(1, message.p);
        break;
      case MSG_UNCHAIN:
        this.#chainDefs.delete(message.id);
        this.#chains.delete(message.id);
        this.#perItemMs.delete(message.id);
        break;
      case MSG_CANCEL:
        this.#cancel(message.b, message.k, message.r);
        break;
      case MSG_PING:
        this.#port.send({ t: MSG_PONG, s: message.s }, undefined);
        break;
    }
  }

  /** Stops measuring (lets the thread or process end). */
  close(): void {
    this.#histogram.disable();
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
      !this.#loaded ||
      this.#current !== undefined ||
      this.#batchHead === this.#batches.length ||
      this.#inFunction >= this.#limit
    )
      return;
    this.#scheduled = true;
    setImmediate(this.#runNext);
  }

  #chain(id: number): ChainRunner | SerializedError {
    let chain = this.#chains.get(id);
    if (chain !== undefined) return chain;
    const def = this.#chainDefs.get(id);
    if (def === undefined) chain = serializeError(new Error(`weir: unknown chain ${id} (protocol error)`));
    else {
      try {
        chain = new ChainRunner(def.stage, def.steps, this.#module!, this.#moduleUrl);
      } catch (error) {
        chain = serializeError(error);
      }
    }
    this.#chains.set(id, chain);
    return chain;
  }

  /** Makes batch `m` the current one (or fails all its items when its chain cannot run). */
  #begin(m: BatchMessage): void {
    const early = this.#early.get(m.b);
    if (early !== undefined) this.#early.delete(m.b);
    const chain = this.#chain(m.c);
    if (!(chain instanceof ChainRunner)) {
      const n = m.x.length;
      const errors: FailedItem[] = [];
      for (let k = 0; k < n; k++) errors.push([k, chain]);
      const now = performance.now();
      this.#reply(m.b, new Array<unknown>(n), errors, null, now, now, n, null);
      return;
    }
    const timeoutMs = this.#chainDefs.get(m.c)?.to;
    // an unknown estimate (NaN) notes each item (the first batches of a chain are small), and so
    // does a batch of one (an item sent alone after its worker was stopped)
    const noteEach =
      timeoutMs !== undefined && (m.x.length === 1 || !((this.#perItemMs.get(m.c) ?? Number.NaN) < NOTE_EACH_MIN_MS));
    const run = new BatchRun(m, chain, timeoutMs, noteEach, early);
    this.#open.set(m.b, run);
    this.#current = run;
    if (timeoutMs !== undefined && !noteEach) this.#note(m.b, -1);
  }

  /** Starts the current batch's items while the per-worker concurrency allows. */
  #advance(): void {
    const run = this.#current;
    if (run !== undefined) {
      while (run.next < run.size) {
        if (this.#inFunction >= this.#limit) {
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

  #note(b: number, k: number): void {
    this.#busyNoted = b >= 0;
    this.#port.send({ t: MSG_PROGRESS, b, k }, undefined);
  }

  /** The loop leaves the items it noted (their promises wait): tells the parent. */
  #noteIdle(): void {
    if (this.#busyNoted) this.#note(-1, -1);
  }

  #start(run: BatchRun, k: number): void {
    const ctx = run.context(k);
    const timeoutMs = run.timeoutMs;
    if (run.noteEach) this.#note(run.id, k);
    // with a timeout, each item is timed from its own start (the clock is read only then)
    const began = timeoutMs === undefined ? 0 : performance.now();
    if (k === 0) run.startedAt = timeoutMs === undefined ? performance.now() : began;
    try {
      const r = run.chain.run(run.message.x[k], ctx);
      if (r instanceof Promise) {
        this.#inFunction++;
        if (timeoutMs !== undefined) this.#timeFrom(run, k, began);
        r.then(
          (v) => this.#settled(run, k, true, v),
          (error: unknown) => this.#settled(run, k, false, error),
        );
        return;
      }
      if (timeoutMs !== undefined && performance.now() - began > timeoutMs) (run.timedOut ??= []).push(k);
      else run.values[k] = r;
    } catch (error) {
      if (timeoutMs !== undefined && performance.now() - began > timeoutMs) (run.timedOut ??= []).push(k);
      else (run.errors ??= []).push(this.#failed(k, error, ctx, run.chain.stage));
    }
    if (run.finish(k, DONE)) this.#finish(run);
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
    else (run.errors ??= []).push(this.#failed(k, value, run.ctxs[k]!, run.chain.stage));
    if (run.finish(k, DONE)) this.#finish(run);
    this.#freed();
  }

  /** A slot inside the functions came free: start the next item. */
  #freed(): void {
    if (this.#current !== undefined) this.#advance();
    else this.#schedule();
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
    const perItem = (now - run.startedAt) / n;
    const prev = this.#perItemMs.get(m.c);
    this.#perItemMs.set(m.c, prev === undefined ? perItem : prev * 0.7 + perItem * 0.3);
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
        // not started yet: it will start with its signal aborted
        (run.early ??= new Map()).set(k, rebuildError(reason));
      } else if (run.state[k] !== DONE && run.ctxs[k] !== undefined) {
        run.cancelled.add(k);
        run.ctxs[k].cancel(rebuildError(reason));
        return; // answered when it settles
      }
    } else if (this.#isQueued(b)) {
      let reasons = this.#early.get(b);
      if (reasons === undefined) this.#early.set(b, (reasons = new Map()));
      reasons.set(k, rebuildError(reason));
    }
    this.#port.send({ t: MSG_CANCELLED, b, k }, undefined);
  }

  #isQueued(b: number): boolean {
    for (let i = this.#batchHead; i < this.#batches.length; i++) if (this.#batches[i]!.b === b) return true;
    return false;
  }

  /**
   * The failure of item `k`: under the chain's stage, or, when a later stage of a colocated chain
   * threw, under that stage with the value it was given (left out when it cannot cross back).
   */
  #failed(k: number, error: unknown, ctx: ItemContext, chainStage: string): FailedItem {
    const serialized = serializeError(error);
    if (ctx.stage === chainStage) return [k, serialized];
    const input = ctx._input;
    try {
      this.#port.check(input);
    } catch {
      return [k, serialized, ctx.stage];
    }
    return [k, serialized, ctx.stage, input];
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
    let d = -1;
    let mem = -1;
    if (now - this.#lastReport >= REPORT_EVERY_MS) {
      this.#lastReport = now;
      const mean = this.#histogram.mean;
      // a loop kept busy by back-to-back batches starves the histogram's timer: then the delay
      // is how long timers have been waiting
      const starved = now - this.#lastTick - TICK_MS;
      // the histogram records whole intervals between its timer's runs: the delay is the excess
      d = Math.max(Number.isFinite(mean) ? mean / 1e6 - TICK_MS : 0, starved, 0);
      this.#histogram.reset();
      mem = this.#port.memoryMb();
    }
    const reply = { t: MSG_RESULT, b, v, e, o, r, u: (now - start) / Math.max(1, n), d, m: mem } as const;
    try {
      this.#port.send(reply, v);
    } catch {
      // some value cannot cross: fail those items only
      const errors = e ?? [];
      const failed = new Set(errors.map(([k]) => k));
      for (let k = 0; k < v.length; k++) {
        if (failed.has(k)) continue;
        try {
          this.#port.check(v[k]);
        } catch (error) {
          errors.push([k, serializeError(error)]);
          v[k] = undefined;
        }
      }
      this.#port.send({ ...reply, e: errors }, v);
    }
  }
}
