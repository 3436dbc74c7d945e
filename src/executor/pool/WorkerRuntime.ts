import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { ChainRunner } from "./ChainRunner.js";
import { rebuildError, serializeError, type SerializedError } from "./SerializedError.js";
import {
  MSG_BATCH,
  MSG_CANCEL,
  MSG_CANCELLED,
  MSG_CHAIN,
  MSG_RESULT,
  type BatchMessage,
  type ChainMessage,
  type FromWorker,
  type ToWorker,
} from "./WireMessage.js";

/** How often a worker piggybacks loop delay and memory on a reply, at most. */
const REPORT_EVERY_MS = 100;

/**
 * The `ctx` a function receives inside a worker. Its `signal` is made on first use, so items
 * whose function never reads it cost no AbortController. (Plain fields: one is made per item.)
 */
class ItemContext {
  readonly stage: string;
  readonly index: number;
  readonly attempt: number;
  /** @internal */
  _controller: AbortController | undefined = undefined;
  /** @internal reason the parent cancelled with, before the signal was made */
  _reason: unknown = undefined;
  /** @internal */
  _cancelled = false;

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
  #waiting: BatchMessage[] | undefined = [];
  #lastReport = 0;

  constructor(moduleUrl: string, port: WorkerPort) {
    this.#moduleUrl = moduleUrl;
    this.#port = port;
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    import(moduleUrl).then(
      (m: Record<string, unknown>) => {
        this.#module = m;
        this.#flushWaiting();
      },
      (error: unknown) => {
        this.#loadError = serializeError(error);
        this.#flushWaiting();
      },
    );
  }

  /** Handles one message from the parent. */
  receive(message: ToWorker): void {
    switch (message.t) {
      case MSG_BATCH:
        if (this.#waiting !== undefined) this.#waiting.push(message);
        else this.#batch(message);
        break;
      case MSG_CHAIN:
        this.#chainDefs.set(message.id, message);
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

  #flushWaiting(): void {
    const waiting = this.#waiting ?? [];
    this.#waiting = undefined;
    for (const m of waiting) this.#batch(m);
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
    let errors: Array<[number, SerializedError]> | null = null;
    const chain = this.#chain(m.c);
    if (!(chain instanceof ChainRunner)) {
      errors = [];
      for (let k = 0; k < n; k++) errors.push([k, chain]);
      this.#reply(m.b, values, errors, start, n);
      return;
    }
    const attempts = m.a;
    const indices = m.i;
    const stage = chain.stage;
    const ctxs = new Array<ItemContext>(n);
    let pending: Array<[number, PromiseLike<unknown>]> | undefined;
    for (let k = 0; k < n; k++) {
      const ctx = new ItemContext(
        stage,
        typeof indices === "number" ? indices + k : indices[k]!,
        typeof attempts === "number" ? attempts : attempts[k]!,
      );
      ctxs[k] = ctx;
      try {
        const r = chain.run(items[k], ctx);
        if (r instanceof Promise) (pending ??= []).push([k, r]);
        else values[k] = r;
      } catch (error) {
        (errors ??= []).push([k, serializeError(error)]);
      }
    }
    if (pending === undefined) {
      this.#reply(m.b, values, errors, start, n);
      return;
    }
    const open: OpenBatch = { id: m.b, ctxs, done: new Uint8Array(n), cancelled: new Set() };
    this.#open.set(m.b, open);
    let left = pending.length;
    const settled = (k: number): void => {
      open.done[k] = 1;
      if (open.cancelled.delete(k)) this.#port.send({ t: MSG_CANCELLED, b: m.b, k }, undefined);
      if (--left === 0) {
        this.#open.delete(m.b);
        this.#reply(m.b, values, errors, start, n);
      }
    };
    for (const [k, p] of pending) {
      p.then(
        (v) => {
          values[k] = v;
          settled(k);
        },
        (error: unknown) => {
          (errors ??= []).push([k, serializeError(error)]);
          settled(k);
        },
      );
    }
  }

  #cancel(b: number, k: number, reason: SerializedError): void {
    const open = this.#open.get(b);
    if (open === undefined || open.done[k] === 1 || open.ctxs[k] === undefined) {
      this.#port.send({ t: MSG_CANCELLED, b, k }, undefined);
      return;
    }
    open.cancelled.add(k);
    open.ctxs[k].cancel(rebuildError(reason));
  }

  #reply(b: number, v: unknown[], e: Array<[number, SerializedError]> | null, start: number, n: number): void {
    const now = performance.now();
    let d = -1;
    let mem = -1;
    if (now - this.#lastReport >= REPORT_EVERY_MS) {
      this.#lastReport = now;
      const mean = this.#histogram.mean;
      d = Number.isFinite(mean) ? mean / 1e6 : 0;
      this.#histogram.reset();
      mem = this.#port.memoryMb();
    }
    const reply = { t: MSG_RESULT, b, v, e, u: (now - start) / Math.max(1, n), d, m: mem } as const;
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
