import type { RunGraph } from "../plan/RunGraph.js";
import { ReadyQueue } from "./ReadyQueue.js";

/**
 * Which ready task of a run starts next, and the run's `concurrency` slots. `async` tasks wait in
 * a {@link ReadyQueue} (priority, then remaining path, then definition order) and take a slot;
 * `inline` tasks go first, in FIFO order, without one. It only decides: the task's lifecycle asks
 * {@link TaskScheduler.next} and starts what it gets.
 *
 * A task holds its slot from its start until it ends, retries included. When an attempt times out
 * while its code still runs, the slot passes to that attempt ({@link TaskScheduler.passSlot}) and
 * is freed when it settles ({@link TaskScheduler.freeSlot}), so the task's retry needs a new one.
 */
export class TaskScheduler {
  readonly #graph: RunGraph;
  readonly #concurrency: number;
  readonly #ready: ReadyQueue;
  /** Inline tasks ready to start, first at `#inlineHead`. */
  readonly #inline: number[] = [];
  #inlineHead = 0;
  /** Slots held (by tasks, or by timed-out attempts still running). */
  #slotsHeld = 0;
  /** Async tasks whose slot passed to a timed-out attempt, holding none now. */
  readonly #slotless = new Set<number>();
  /** Retries queued in `#ready` for want of a free slot: task → attempt number. */
  readonly #queuedRetries = new Map<number, number>();
  /** After {@link TaskScheduler.stopStarting}: only queued retries of running tasks start. */
  #startsStopped = false;

  constructor(graph: RunGraph, concurrency: number) {
    this.#graph = graph;
    this.#concurrency = concurrency;
    this.#ready = new ReadyQueue(graph.priority, graph.rank);
  }

  /** Task `i`'s dependencies are done: queue it (or line it up, inline). Ignored once starts stopped. */
  makeReady(i: number): void {
    if (this.#startsStopped) return;
    if (this.#graph.defs[i]!.context === "inline") this.#inline.push(i);
    else this.#ready.push(i);
  }

  /** Task `i`'s rank grew: re-order it if it is queued. */
  raised(i: number): void {
    this.#ready.raise(i);
  }

  /**
   * The next task to start, its slot (if it takes one) now held; -1 when none is ready or no slot
   * is free. A retry that waited for a slot comes back this way too: see {@link TaskScheduler.queuedRetry}.
   */
  next(): number {
    if (this.#inlineHead < this.#inline.length) {
      const i = this.#inline[this.#inlineHead++]!;
      if (this.#inlineHead === this.#inline.length) this.#inline.length = this.#inlineHead = 0;
      return i;
    }
    if (this.#slotsHeld >= this.#concurrency) return -1;
    const i = this.#ready.pop();
    if (i === undefined) return -1;
    this.#slotsHeld++;
    return i;
  }

  /**
   * When task `i` (just given by {@link TaskScheduler.next}) is a retry that waited for a slot: its
   * attempt number (the task holds the slot again); else 0 (a first start).
   */
  queuedRetry(i: number): number {
    if (this.#queuedRetries.size === 0) return 0;
    const attempt = this.#queuedRetries.get(i);
    if (attempt === undefined) return 0;
    this.#queuedRetries.delete(i);
    this.#slotless.delete(i);
    return attempt;
  }

  /**
   * Retry `attempt` of task `i` is due. True when it may start at once: the task still holds its
   * slot (or takes none), or a slot is free (now held). Otherwise it is queued, to come out of
   * {@link TaskScheduler.next} in priority order when a slot frees, and this returns false.
   */
  retryDue(i: number, attempt: number): boolean {
    if (!this.#slotless.has(i)) return true;
    if (this.#slotsHeld < this.#concurrency) {
      this.#slotless.delete(i);
      this.#slotsHeld++;
      return true;
    }
    this.#queuedRetries.set(i, attempt);
    this.#ready.push(i);
    return false;
  }

  /** Task `i` ended: frees its slot, unless it passed to a timed-out attempt (see {@link TaskScheduler.freeSlot}). */
  release(i: number): void {
    if (this.#graph.defs[i]!.context !== "inline" && !this.#slotless.delete(i)) this.#slotsHeld--;
  }

  /** Task `i`'s attempt timed out but still runs: it keeps the slot; the task has none now. */
  passSlot(i: number): void {
    if (this.#graph.defs[i]!.context !== "inline") this.#slotless.add(i);
  }

  /** A timed-out attempt of task `i` settled: the slot it kept is free. */
  freeSlot(i: number): void {
    if (this.#graph.defs[i]!.context !== "inline") this.#slotsHeld--;
  }

  /** The run is stopping: no task starts any more, except retries of running tasks waiting for a slot. */
  stopStarting(): void {
    this.#startsStopped = true;
    this.#inline.length = this.#inlineHead = 0;
    this.#ready.clear();
    for (const i of this.#queuedRetries.keys()) this.#ready.push(i);
  }

  /** The run ended: nothing more starts. */
  stop(): void {
    this.#startsStopped = true;
    this.#ready.clear();
    this.#inline.length = this.#inlineHead = 0;
    this.#slotless.clear();
    this.#queuedRetries.clear();
  }
}
