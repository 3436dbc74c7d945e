import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { TimeoutError } from "../../errors/TimeoutError.js";
import { ChainRunner, type ChainContext } from "./ChainRunner.js";
import { rebuildError, serializeError, type SerializedError } from "./SerializedError.js";
import {
  MSG_BATCH,
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_READY,
  MSG_UNCHAIN,
  MSG_RESULT,
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
 * How many times any item of this worker has called `ctx.retryAfter`: a batch whose reply finds
 * it unchanged since the batch started skips looking for Retry-After values (no per-item cost).
 */
let retryAfterCalls = 0;

/**
 * The `ctx` a function receives inside a worker. Its `signal` is made on first use, so items
 * whose function never reads it cost no AbortController. (Plain fields: one is made per item.)
 */
class ItemContext implements ChainContext {
  /** The running stage's name (in a colocated chain, each function sees its own). */
  stage: string;
  readonly index: number;
  readonly attempt: number;
  /** @internal */
  _controller: AbortController | undefined = undefined;
  /** @internal reason the parent cancelled with, before the signal was made */
  _reason: unknown = undefined;
  /** @internal */
  _cancelled = false;
  /** @internal the last value passed to {@link ItemContext.retryAfter} */
  _retryAfterMs: number | undefined = undefined;
  /** @internal the value the running step of a colocated chain was given */
  _input: unknown = undefined;

  constructor(stage: string, index: number, attempt: number) {
    this.stage = stage;
    this.index = index;
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (this._controller === undefined) {
      this._controller = new AbortController();
      if (this._cancelled) this._controller.abort(this._reason);
    }
    return this._controller.signal;
  }

  /**
   * Reports a Retry-After of `ms` (e.g. from a 429): it travels back with the item's result, and
   * the stage's rate limiter or adaptive concurrency backs off as for a main-loop stage. The last
   * call before the item settles wins; a call after it is lost.
   */
  retryAfter(ms: number): void {
    this._retryAfterMs = Number(ms);
    retryAfterCalls++;
  }

  cancel(reason: unknown): void {
    if (this._cancelled) return;
    this._cancelled = true;
    this._reason = reason;
    this._controller?.abort(reason);
  }

  toJSON(): object {
    return { stage: this.stage, index: this.index, attempt: this.attempt };
  }
}

/** A batch with items still running asynchronously. */
interface OpenBatch {
  readonly id: number;
  readonly ctxs: ItemContext[];
  readonly done: Uint8Array;
  /** Items cancelled by the parent that have not settled yet. */
  readonly cancelled: Set<number>;
  /** When each pending item started (with a timeout), and the timer for the earliest deadline. */
  readonly starts: Map<number, number> | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

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
 * the module, declares chains, runs batches, measures time per item, loop delay and memory, and
 * honours cancellations.
 */
export class WorkerRuntime {
  readonly #moduleUrl: string;
  readonly #port: WorkerPort;
  readonly #chainDefs = new Map<number, ChainMessage>();
  readonly #chains = new Map<number, ChainRunner | SerializedError>();
  readonly #open = new Map<number, OpenBatch>();
  readonly #histogram: IntervalHistogram;
  #module: Record<string, unknown> | undefined;
  #loadError: SerializedError | undefined;
  /** Batches received and not started; they run one per loop turn once the module has loaded. */
  readonly #batches: BatchMessage[] = [];
  #batchHead = 0;
  #loaded = false;
  #scheduled = false;
  readonly #runNext = (): void => {
    this.#scheduled = false;
    if (this.#batchHead < this.#batches.length) {
      const m = this.#batches[this.#batchHead]!;
      this.#batches[this.#batchHead++] = undefined as never;
      if (this.#batchHead === this.#batches.length) {
        this.#batches.length = 0;
        this.#batchHead = 0;
      }
      this.#batch(m);
    }
    this.#schedule();
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
      (error: unknown) => {
        this.#loadError = serializeError(error);
        this.#loaded = true;
        this.#port.send({ t: MSG_READY }, undefined);
        this.#schedule();
      },
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
        break;
      case MSG_UNCHAIN:
        this.#chainDefs.delete(message.id);
        this.#chains.delete(message.id);
        break;
      case MSG_CANCEL:
        this.#cancel(message.b, message.k, message.r);
        break;
    }
  }

  /** Stops measuring (lets the thread or process end). */
  close(): void {
    this.#histogram.disable();
  }

  /**
   * Runs the next batch on a later turn of the loop, not inside the message handler: a port
   * delivers queued messages back to back in one go, and a pool keeps a worker's queue full, so
   * running batches there would starve the worker's timers (an async item's own timers, its
   * timeout) for as long as work keeps coming.
   */
  #schedule(): void {
    if (this.#scheduled || !this.#loaded || this.#batchHead === this.#batches.length) return;
    this.#scheduled = true;
    setImmediate(this.#runNext);
  }

  #chain(id: number): ChainRunner | SerializedError {
    let chain = this.#chains.get(id);
    if (chain !== undefined) return chain;
    const def = this.#chainDefs.get(id);
    if (this.#loadError !== undefined) chain = this.#loadError;
    else if (def === undefined) chain = serializeError(new Error(`weir: unknown chain ${id} (protocol error)`));
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

  #batch(m: BatchMessage): void {
    const start = performance.now();
    const items = m.x;
    const n = items.length;
    const values = new Array<unknown>(n);
    let errors: FailedItem[] | null = null;
    const chain = this.#chain(m.c);
    if (!(chain instanceof ChainRunner)) {
      errors = [];
      for (let k = 0; k < n; k++) errors.push([k, chain]);
      this.#reply(m.b, values, errors, null, start, n, null);
      return;
    }
    const attempts = m.a;
    const indices = m.i;
    const stage = chain.stage;
    const timeoutMs = this.#chainDefs.get(m.c)?.to;
    const ctxs = new Array<ItemContext>(n);
    const calls = retryAfterCalls;
    let pending: Array<[number, PromiseLike<unknown>]> | undefined;
    let starts: Map<number, number> | undefined;
    let timedOut: number[] | null = null;
    const early = this.#early.get(m.b);
    if (early !== undefined) this.#early.delete(m.b);
    for (let k = 0; k < n; k++) {
      const ctx = new ItemContext(
        stage,
        typeof indices === "number" ? indices + k : indices[k]!,
        typeof attempts === "number" ? attempts : attempts[k]!,
      );
      ctxs[k] = ctx;
      if (early?.has(k) === true) ctx.cancel(early.get(k));
      // with a timeout, each item is timed from its own start (the clock is read only then)
      const began = timeoutMs === undefined ? 0 : performance.now();
      try {
        const r = chain.run(items[k], ctx);
        if (r instanceof Promise) {
          (pending ??= []).push([k, r]);
          if (timeoutMs !== undefined) (starts ??= new Map()).set(k, began);
        } else if (timeoutMs !== undefined && performance.now() - began > timeoutMs) {
          (timedOut ??= []).push(k);
        } else values[k] = r;
      } catch (error) {
        if (timeoutMs !== undefined && performance.now() - began > timeoutMs) (timedOut ??= []).push(k);
        else (errors ??= []).push(this.#failed(k, error, ctx, stage));
      }
    }
    if (pending === undefined) {
      this.#reply(m.b, values, errors, timedOut, start, n, calls === retryAfterCalls ? null : retryAfters(ctxs));
      return;
    }
    const open: OpenBatch = { id: m.b, ctxs, done: new Uint8Array(n), cancelled: new Set(), starts, timer: undefined };
    this.#open.set(m.b, open);
    let left = pending.length;
    const settled = (k: number): void => {
      if (open.done[k] === 1) return; // it timed out before
      open.done[k] = 1;
      open.starts?.delete(k);
      if (open.cancelled.delete(k)) this.#port.send({ t: MSG_CANCELLED, b: m.b, k }, undefined);
      if (--left === 0) {
        if (open.timer !== undefined) clearTimeout(open.timer);
        this.#open.delete(m.b);
        this.#reply(m.b, values, errors, timedOut, start, n, calls === retryAfterCalls ? null : retryAfters(ctxs));
      }
    };
    for (const [k, p] of pending) {
      p.then(
        (v) => {
          if (open.done[k] === 0) values[k] = v;
          settled(k);
        },
        (error: unknown) => {
          if (open.done[k] === 0) (errors ??= []).push(this.#failed(k, error, ctxs[k]!, stage));
          settled(k);
        },
      );
    }
    if (timeoutMs !== undefined) {
      // one timer per batch, for its earliest deadline: overdue items abort and fail at once
      const check = (): void => {
        open.timer = undefined;
        const now = performance.now();
        let next = Infinity;
        for (const [k, began] of [...open.starts!]) {
          if (now - began >= timeoutMs) {
            const ctx = ctxs[k]!;
            ctx.cancel(new TimeoutError(`stage "${stage}" item ${ctx.index}`, timeoutMs));
            (timedOut ??= []).push(k);
            settled(k);
          } else next = Math.min(next, began + timeoutMs);
        }
        if (next !== Infinity && this.#open.has(m.b)) open.timer = setTimeout(check, Math.max(1, next - now));
      };
      let first = Infinity;
      for (const began of open.starts!.values()) first = Math.min(first, began);
      open.timer = setTimeout(check, Math.max(1, first + timeoutMs - performance.now()));
    }
  }

  #cancel(b: number, k: number, reason: SerializedError): void {
    const open = this.#open.get(b);
    if (open === undefined || open.done[k] === 1 || open.ctxs[k] === undefined) {
      // not started yet: it will start with its signal aborted
      if (open === undefined && this.#isQueued(b)) {
        let reasons = this.#early.get(b);
        if (reasons === undefined) this.#early.set(b, (reasons = new Map()));
        reasons.set(k, rebuildError(reason));
      }
      this.#port.send({ t: MSG_CANCELLED, b, k }, undefined);
      return;
    }
    open.cancelled.add(k);
    open.ctxs[k].cancel(rebuildError(reason));
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
    n: number,
    r: Array<[number, number]> | null,
  ): void {
    const now = performance.now();
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

/** The Retry-After values a batch's items reported, as (position, ms) pairs; null when none did. */
function retryAfters(ctxs: readonly ItemContext[]): Array<[number, number]> | null {
  let r: Array<[number, number]> | null = null;
  for (let k = 0; k < ctxs.length; k++) {
    const ms = ctxs[k]!._retryAfterMs;
    if (ms !== undefined) (r ??= []).push([k, ms]);
  }
  return r;
}
