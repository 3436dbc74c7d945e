import { ReadyQueue } from "./ReadyQueue.js";
import type { RunGraph } from "../run/RunGraph.js";

/** What the start loop starts tasks with. */
export interface StartHost {
  /** Starts task `i`'s first attempt (its slot, if it takes one, is held). */
  begin(i: number): void;
  /** Starts attempt `attempt` of task `i`, a retry that waited for a slot (now held). */
  resume(i: number, attempt: number): void;
}

/**
 * The scheduler of one run: ready tasks and the run's `concurrency` slots. `async` tasks wait in
 * a {@link ReadyQueue} (priority, then remaining path, then definition order) and take a slot;
 * `inline` tasks run as soon as they are ready, in FIFO order, without one. The loop yields to
 * the event loop every `yieldEvery` starts, so a long graph of synchronous tasks cannot starve I/O.
 *
 * Slots: a task holds its slot from its start until it ends, retries included; when an attempt
 * times out while its code still runs, the slot passes to that attempt ({@link TaskScheduler.passSlot})
 * and is freed when it settles ({@link TaskScheduler.freeSlot}), so the task's retry needs a new one.
 */
export class TaskScheduler {
  readonly #graph: RunGraph;
  readonly #host: StartHost;
  readonly #concurrency: number;
  readonly #yieldEvery: number;
  readonly #ready: ReadyQueue;
  readonly #inline: number[] = [];
  #inlineHead = 0;
  /** Slots held (by tasks, or by timed-out attempts still running). */
  #active = 0;
  /** Async tasks whose slot passed to a timed-out attempt, holding none now. */
  readonly #slotless = new Set<number>();
  /** Retries queued in `#ready` for want of a free slot: task → attempt number. */
  readonly #queuedRetries = new Map<number, number>();
  #pumping = false;
  #yieldPending = false;
  #stopped = false;

  constructor(graph: RunGraph, host: StartHost, concurrency: number, yieldEvery: number) {
    this.#graph = graph;
    this.#host = host;
    this.#concurrency = concurrency;
    this.#yieldEvery = yieldEvery;
    this.#ready = new ReadyQueue(graph.priority, graph.rank);
  }

  /** Task `i`'s dependencies are done: queue it (or line it up, inline). */
  makeReady(i: number): void {
    if (this.#graph.defs[i]!.context === "inline") this.#inline.push(i);
    else this.#ready.push(i);
  }

  /** Task `i`'s rank grew: re-order it if it is queued. */
  raised(i: number): void {
    this.#ready.raise(i);
  }

  /** Starts ready tasks while slots are free; re-entrant calls return at once (the loop goes on). */
  pump(): void {
    if (this.#pumping || this.#yieldPending || this.#stopped) return;
    this.#pumping = true;
    let budget = this.#yieldEvery;
    try {
      while (!this.#stopped) {
        let i: number | undefined;
        if (this.#inlineHead < this.#inline.length) {
          i = this.#inline[this.#inlineHead++]!;
          if (this.#inlineHead === this.#inline.length) this.#inline.length = this.#inlineHead = 0;
        } else if (this.#active < this.#concurrency && (i = this.#ready.pop()) !== undefined) {
          this.#active++;
        } else break;
        if (this.#queuedRetries.size === 0 || !this.#resumeQueued(i)) this.#host.begin(i);
        if (--budget === 0) {
          this.#yieldPending = true;
          setImmediate(() => {
            this.#yieldPending = false;
            this.pump();
          });
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Task `i` ended: frees its slot, unless it passed to a timed-out attempt (see {@link TaskScheduler.freeSlot}). */
  release(i: number): void {
    if (this.#graph.defs[i]!.context !== "inline" && !this.#slotless.delete(i)) this.#active--;
  }

  /** Task `i`'s attempt timed out but still runs: it keeps the slot; the task has none now. */
  passSlot(i: number): void {
    if (this.#graph.defs[i]!.context !== "inline") this.#slotless.add(i);
  }

  /** A timed-out attempt of task `i` settled: the slot it kept is free. */
  freeSlot(i: number): void {
    if (this.#graph.defs[i]!.context === "inline") return;
    this.#active--;
    this.pump();
  }

  /**
   * Retry `attempt` of task `i` is due: starts it at once when the task still holds its slot (or
   * takes none) or a slot is free; otherwise queues it, to start in priority order when one frees.
   */
  retry(i: number, attempt: number): void {
    if (this.#stopped) return;
    if (!this.#slotless.has(i)) this.#host.resume(i, attempt);
    else if (this.#active < this.#concurrency) {
      this.#slotless.delete(i);
      this.#active++;
      this.#host.resume(i, attempt);
    } else {
      this.#queuedRetries.set(i, attempt);
      this.#ready.push(i);
    }
  }

  /** The run ended: nothing more starts. */
  stop(): void {
    this.#stopped = true;
    this.#ready.clear();
    this.#inline.length = this.#inlineHead = 0;
    this.#slotless.clear();
    this.#queuedRetries.clear();
  }

  /** If `i` is a retry that waited for a slot (it has one now), starts it and returns true. */
  #resumeQueued(i: number): boolean {
    const attempt = this.#queuedRetries.get(i);
    if (attempt === undefined) return false;
    this.#queuedRetries.delete(i);
    this.#slotless.delete(i);
    this.#host.resume(i, attempt);
    return true;
  }
}
