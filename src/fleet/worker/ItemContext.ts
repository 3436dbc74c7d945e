import type { StageContext } from "../../stage/StageContext.js";

/**
 * The `ctx` an export receives in a `weir worker`: the stage's name, the item's source index and
 * attempt as the origin numbered them, a `signal` (made on first use, so items that never read
 * it cost no AbortController) that aborts when the item times out, is cancelled by the origin,
 * or the worker gives the item up (lease lost, shutdown past its grace), and `retryAfter`, whose
 * last value travels back with the result.
 */
export class ItemContext implements StageContext {
  readonly stage: string;
  readonly index: number;
  readonly attempt: number;
  readonly #keyPrefix: string | undefined;
  #controller: AbortController | undefined = undefined;
  #reason: unknown = undefined;
  #cancelled = false;
  /** The last value given to {@link retryAfter}. */
  retryAfterMs: number | undefined = undefined;

  /** The item's key when the origin sent it (a flatMap child's). */
  readonly #key: string | undefined;

  constructor(stage: string, index: number, attempt: number, keyPrefix?: string, key?: string) {
    this.stage = stage;
    // a flatMap child's index travels as its id: its source index plus a fraction
    this.index = key === undefined ? index : Math.floor(index);
    this.attempt = attempt;
    this.#keyPrefix = keyPrefix;
    this.#key = key;
  }

  /** The item's stable key in a durable run (`<runId>/<index>`, or the one sent); undefined otherwise. */
  get key(): string | undefined {
    if (this.#key !== undefined) return this.#key;
    return this.#keyPrefix === undefined ? undefined : this.#keyPrefix + this.index;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** True once the item was cancelled. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  retryAfter(ms: number): void {
    this.retryAfterMs = Number(ms);
  }

  /** Aborts the item's signal with `reason` (once). */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  toJSON(): object {
    return { stage: this.stage, index: this.index, attempt: this.attempt, key: this.key };
  }
}
