import type { Clock, TimerHandle } from "../time/Clock.js";
import type { WriteOp } from "./WriteOp.js";

/**
 * The single writer's queue: writes wait here and are committed together, in one transaction per
 * `windowMs` after the first queued write or as soon as `maxOps` are queued, whichever comes first.
 * The queue never holds more than `maxOps` (the write that fills it commits the group before it
 * returns), so memory is bounded whatever the caller's pace. A writer may also `request()` a
 * place in the next commit without a write: its callback runs at the start of that commit and
 * queues what it has then (a run's checkpoint, made once per commit however often it progressed).
 */
export class GroupCommit {
  /** Writes of the open group, in the order they were queued. */
  #queue: WriteOp[] = [];
  /** Fires `flush()` `windowMs` after the group's first write; undefined while the queue is empty. */
  #timer: TimerHandle | undefined;
  /** Resolved after the open group's commit, with its error (or undefined): never rejects. */
  #settled: Promise<unknown> | undefined;
  #settle: ((error: unknown) => void) | undefined;
  /** Callbacks to run at the start of the next commit (they queue their writes then). */
  #requests = new Set<() => void>();
  /** True while a commit runs: writes queued meanwhile (by a request's callback) join it or wait. */
  #flushing = false;
  /** Incremented by every flush: tells a writer whether an op it queued is still in the open group. */
  #generation = 0;
  readonly #apply: (ops: WriteOp[]) => void;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #maxOps: number;

  /** `apply` commits one group (one transaction) and throws when the commit failed as a whole. */
  constructor(apply: (ops: WriteOp[]) => void, clock: Clock, windowMs: number, maxOps: number) {
    this.#apply = apply;
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#maxOps = maxOps;
  }

  /** Identifies the open group; changes at every flush. */
  get generation(): number {
    return this.#generation;
  }

  /** Writes queued in the open group. */
  get size(): number {
    return this.#queue.length;
  }

  /** Queues a write; commits the group now when it reached `maxOps`. */
  push(op: WriteOp): void {
    this.#queue.push(op);
    if (this.#flushing) return;
    if (this.#queue.length >= this.#maxOps) this.flush();
    else this.#arm();
  }

  /** Runs `callback` at the start of the next commit (once, however often requested before it), arming the window. */
  request(callback: () => void): void {
    this.#requests.add(callback);
    if (!this.#flushing) this.#arm();
  }

  /** Commits the open group now; returns its error (undefined on success or when there was nothing to commit). */
  flush(): unknown {
    if (this.#flushing) return undefined;
    this.#flushing = true;
    let error: unknown;
    let settle: ((error: unknown) => void) | undefined;
    try {
      this.#timer?.cancel();
      this.#timer = undefined;
      const requests = [...this.#requests];
      this.#requests.clear();
      for (const callback of requests) callback();
      const ops = this.#queue;
      settle = this.#settle;
      this.#queue = [];
      this.#settled = undefined;
      this.#settle = undefined;
      this.#generation++;
      if (ops.length > 0) {
        try {
          this.#apply(ops);
        } catch (e) {
          error = e;
        }
      }
    } finally {
      this.#flushing = false;
    }
    // writes queued while committing (a failure listener's) wait for the next window
    if (this.#queue.length > 0 || this.#requests.size > 0) this.#arm();
    settle?.(error);
    return error;
  }

  /** Resolves (never rejects) after the open group was committed, with that commit's error or undefined. */
  settled(): Promise<unknown> {
    if (this.#queue.length === 0 && this.#requests.size === 0) return Promise.resolve(undefined);
    if (this.#settled === undefined) {
      this.#settled = new Promise<unknown>((resolve) => (this.#settle = resolve));
    }
    return this.#settled;
  }

  #arm(): void {
    this.#timer ??= this.#clock.setTimer(() => this.flush(), this.#windowMs);
  }
}
