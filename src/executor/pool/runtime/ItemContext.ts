import { itemKey, type ItemKeys } from "../../ItemKeys.js";
import type { ChainContext } from "./ChainRunner.js";

/**
 * How many times any item of this worker has called `ctx.retryAfter`: a batch whose reply finds
 * it unchanged since the batch started skips looking for Retry-After values (no per-item cost).
 */
let retryAfterCalls = 0;

/** What this worker's `setup` returned, and the pool's `workerData`: the same for every item. */
let workerLocal: unknown;
let workerDataValue: unknown;

/** Sets what every item's `ctx.local` and `ctx.workerData` are in this worker (once, after setup). */
export function setWorkerValues(local: unknown, workerData: unknown): void {
  workerLocal = local;
  workerDataValue = workerData;
}

/** The count of `ctx.retryAfter` calls so far in this worker (see {@link retryAfters}). */
export function retryAfterCount(): number {
  return retryAfterCalls;
}

/**
 * The `ctx` a function receives inside a worker. Its `signal` is made on first use, so items
 * whose function never reads it cost no AbortController. (Plain fields: one is made per item.)
 */
export class ItemContext implements ChainContext {
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

  /** How `ctx.key` is made in a durable run (undefined: no keys). */
  readonly #keys: ItemKeys | string | undefined;

  /** `keys`: how keys are made, or this item's own key. */
  constructor(stage: string, index: number, attempt: number, keys?: ItemKeys | string) {
    this.stage = stage;
    this.index = index;
    this.attempt = attempt;
    this.#keys = keys;
  }

  /** The item's stable key in a durable run (`<runId>/<index>`); undefined otherwise. */
  get key(): string | undefined {
    const keys = this.#keys;
    return keys === undefined || typeof keys === "string" ? keys : itemKey(keys, this.index);
  }

  /** What the module's `setup` returned in this worker (undefined without one). */
  get local(): unknown {
    return workerLocal;
  }

  /** The pool's `workerData` option, as this worker received it. */
  get workerData(): unknown {
    return workerDataValue;
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

/** The Retry-After values a batch's items reported, as (position, ms) pairs; null when none did. */
export function retryAfters(ctxs: readonly (ItemContext | undefined)[]): Array<[number, number]> | null {
  let r: Array<[number, number]> | null = null;
  for (let k = 0; k < ctxs.length; k++) {
    const ms = ctxs[k]?._retryAfterMs;
    if (ms !== undefined) (r ??= []).push([k, ms]);
  }
  return r;
}
