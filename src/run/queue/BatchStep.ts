import type { Channel } from "../../channel/Channel.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { TimerHandle } from "../../time/Clock.js";
import type { Emitter } from "../emit/Emitter.js";
import type { RunScope } from "../RunScope.js";
import type { Step } from "../Step.js";
import { batchCarriersOf } from "./BatchCarriers.js";

/**
 * Room an indexes list is made with: a batch's source indexes are written into it, not pushed (a
 * list grown item by item was copied a dozen times per batch of 1,024). A larger batch grows it.
 */
const INDEXES_ROOM = 4096;

/**
 * Groups items into arrays of `size`, flushing early when the oldest item has waited `maxWaitMs`
 * (on the run's clock), and at the end of input. Never emits an empty batch. A batch carries the
 * smallest source index among its items (its first item's when they arrived in source order), so
 * the run's low watermark never passes an item that is in a batch still on its way.
 */
export class BatchStep implements Step {
  readonly #input: Channel<unknown>;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters;
  readonly #size: number;
  readonly #maxWaitMs: number | undefined;
  #batchMin = Infinity;
  #held = Infinity;
  /** Source indexes of the batch being filled (its first {@link BatchStep.#filled}), then of the one being handed on. */
  #batchIndexes: number[];
  /** Items in the batch being filled. */
  #filled = 0;
  #heldSeqs: number[] = [];

  constructor(
    input: Channel<unknown>,
    emitter: Emitter,
    scope: RunScope,
    counters: StageCounters,
    size: number,
    maxWaitMs: number | undefined,
  ) {
    this.#input = input;
    this.#emitter = emitter;
    this.#scope = scope;
    this.#counters = counters;
    this.#size = size;
    this.#maxWaitMs = maxWaitMs;
    this.#batchIndexes = this.#newIndexes();
  }

  #newIndexes(): number[] {
    return new Array<number>(Math.min(this.#size, INDEXES_ROOM));
  }

  minIndex(): number {
    return Math.min(this.#batchMin, this.#held);
  }

  forEachHeld(visit: (index: number) => void): void {
    const indexes = this.#batchIndexes;
    for (let k = 0; k < this.#filled; k++) visit(indexes[k]!);
    if (this.#held !== Infinity) for (const s of this.#heldSeqs) visit(s);
  }

  forEachPending(visit: (index: number) => void): void {
    this.#emitter.forEachPending(visit);
  }

  /** Items in the batch being filled and in the one being handed on. */
  held(): number {
    return this.#counters.inFlight;
  }

  async run(): Promise<void> {
    const input = this.#input;
    const clock = this.#scope.clock;
    const signal = this.#scope.signal;
    const counters = this.#counters;
    let batch: unknown[] = [];
    let startedAt = 0;
    const out: unknown[] = [undefined];
    const outIndexes: number[] = [0];

    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      this.#held = this.#batchMin;
      const indexes = this.#batchIndexes;
      if (indexes.length !== batch.length) indexes.length = batch.length;
      this.#heldSeqs = indexes;
      this.#batchIndexes = this.#newIndexes();
      this.#filled = 0;
      const carriers = batchCarriersOf(this.#scope);
      if (carriers !== undefined) {
        let last = -1;
        for (const s of this.#heldSeqs) last = Math.max(last, carriers.lastCovered(s));
        carriers.record(this.#batchMin, last);
      }
      out[0] = batch;
      outIndexes[0] = this.#batchMin;
      this.#batchMin = Infinity;
      const size = batch.length;
      batch = [];
      counters.out++;
      counters.latency.record(clock.now() - startedAt);
      const space = this.#emitter.space();
      if (space !== undefined) await space;
      const w = this.#emitter.emit(out, outIndexes, 1);
      if (w !== undefined) await w;
      // an abort cuts a push short: the batch stays held (never counted done)
      if (signal.aborted) return;
      counters.inFlight -= size;
      this.#held = Infinity;
    };

    try {
      while (!signal.aborted) {
        if (input.size > 0) {
          // what the batch has room for of what is there, in one pass (nothing here awaits, and
          // the channel only grows meanwhile)
          const take = Math.min(this.#size - batch.length, input.size);
          if (batch.length === 0) startedAt = clock.now();
          const indexes = this.#batchIndexes;
          let min = this.#batchMin;
          let filled = this.#filled;
          for (let k = 0; k < take; k++) {
            batch.push(input.shift());
            const seq = input.shiftedSeq;
            if (seq < min) min = seq;
            indexes[filled++] = seq;
          }
          this.#filled = filled;
          this.#batchMin = min;
          counters.in += take;
          counters.inFlight += take;
          if (batch.length >= this.#size) await flush();
          continue;
        }
        if (input.closed) break;
        if (batch.length === 0 || this.#maxWaitMs === undefined) {
          await input.readable();
          continue;
        }
        const remaining = startedAt + this.#maxWaitMs - clock.now();
        if (remaining <= 0) {
          await flush();
          continue;
        }
        let timer: TimerHandle | undefined;
        const timedOut = await Promise.race([
          input.readable().then(() => false),
          new Promise<boolean>((resolve) => {
            timer = clock.setTimer(() => resolve(true), remaining);
          }),
        ]);
        timer?.cancel();
        if (timedOut) await flush();
      }
      if (!signal.aborted) await flush();
    } finally {
      this.#emitter.close();
    }
  }
}
