import type { ChainRunner } from "./ChainRunner.js";
import { ItemContext, retryAfterCount } from "./ItemContext.js";
import type { BatchMessage, FailedItem } from "../wire/WireMessage.js";

/** An item of a {@link BatchRun} not started, or inside the function. */
export const OPEN = 0;
/** An item that finished: returned, threw, or settled. */
export const DONE = 1;
/** An item that ran past its timeout: counted as finished, but its promise has not settled yet. */
export const LINGERING = 2;

/**
 * One batch inside a worker, from its first item's start to its reply: what each item gave, which
 * have started (`next`) and finished, which the parent cancelled, and the timers of its items'
 * timeouts. The runtime starts its items in order, as the worker's per-item concurrency allows.
 */
export class BatchRun {
  readonly message: BatchMessage;
  readonly chain: ChainRunner;
  readonly timeoutMs: number | undefined;
  /** Every item's start is noted to the parent (chains with a timeout whose items are not tiny). */
  readonly noteEach: boolean;
  readonly values: unknown[];
  errors: FailedItem[] | null = null;
  timedOut: number[] | null = null;
  readonly ctxs: Array<ItemContext | undefined>;
  readonly state: Uint8Array;
  /** The next item to start. */
  next = 0;
  /** Items finished (done or lingering). */
  finished = 0;
  /** Items the parent cancelled that are still inside the function: answered when they settle. */
  readonly cancelled = new Set<number>();
  /** Cancellations of items not started yet: they never start (their attempts settled in the parent). */
  early: Map<number, unknown> | undefined;
  /** When each asynchronous item with a timeout started (pending ones only). */
  readonly starts = new Map<number, number>();
  /** The timer for the earliest pending deadline. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** When its first item started. */
  startedAt = 0;
  /** `ctx.retryAfter` calls in the worker before the batch started. */
  readonly retryAfterCalls = retryAfterCount();

  constructor(
    message: BatchMessage,
    chain: ChainRunner,
    timeoutMs: number | undefined,
    noteEach: boolean,
    early: Map<number, unknown> | undefined,
  ) {
    this.message = message;
    this.chain = chain;
    this.timeoutMs = timeoutMs;
    this.noteEach = noteEach;
    this.early = early;
    const n = message.x.length;
    this.values = new Array<unknown>(n);
    this.ctxs = new Array<ItemContext | undefined>(n);
    this.state = new Uint8Array(n);
  }

  get id(): number {
    return this.message.b;
  }

  get size(): number {
    return this.message.x.length;
  }

  /** The context of item `k`, made as it starts (with its signal aborted when cancelled before). */
  context(k: number): ItemContext {
    const m = this.message;
    const ctx = new ItemContext(
      this.chain.stage,
      typeof m.i === "number" ? m.i + k : m.i[k]!,
      typeof m.a === "number" ? m.a : m.a[k]!,
      m.kl !== undefined ? m.kl[k] : m.k === undefined ? undefined : { prefix: m.k, sources: m.ks },
    );
    this.ctxs[k] = ctx;
    if (this.early?.has(k) === true) ctx.cancel(this.early.get(k));
    return ctx;
  }

  /** Marks item `k` finished; true when it was the last. */
  finish(k: number, state: typeof DONE | typeof LINGERING): boolean {
    this.state[k] = state;
    // only asynchronous items of a timed chain are in `starts`: most batches never hold one
    if (this.starts.size > 0) this.starts.delete(k);
    return ++this.finished === this.size;
  }
}
