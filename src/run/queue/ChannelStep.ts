import type { Channel } from "../../channel/Channel.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { Emitter } from "../emit/Emitter.js";
import type { RunScope } from "../RunScope.js";
import { LoopTurns } from "../source/LoopTurns.js";
import { CHUNK, type Step } from "../Step.js";

/**
 * Reads a channel and emits what it reads: the head of a merge point, and of a run of fused
 * synchronous stages that could not join the step above (after a fan-out or a route).
 */
export class ChannelStep implements Step {
  readonly #input: Channel<unknown>;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters | undefined;
  #held = Infinity;
  /** The chunk being handed on (its first `#heldCount` indexes), while `#held` is finite. */
  #heldIndexes: readonly number[] = [];
  #heldCount = 0;

  constructor(input: Channel<unknown>, emitter: Emitter, scope: RunScope, counters?: StageCounters) {
    this.#input = input;
    this.#emitter = emitter;
    this.#scope = scope;
    this.#counters = counters;
  }

  minIndex(): number {
    return this.#held;
  }

  forEachHeld(visit: (index: number) => void): void {
    if (this.#held === Infinity) return;
    for (let i = 0; i < this.#heldCount; i++) visit(this.#heldIndexes[i]!);
  }

  forEachPending(visit: (index: number) => void): void {
    this.#emitter.forEachPending(visit);
  }

  held(): number {
    return this.#emitter.pending();
  }

  async run(): Promise<void> {
    const input = this.#input;
    const emitter = this.#emitter;
    const signal = this.#scope.signal;
    const buf: unknown[] = [];
    const indexes: number[] = [];
    const turns = new LoopTurns();
    try {
      while (!signal.aborted) {
        if (input.size === 0) {
          if (input.closed) break;
          await input.readable();
          continue;
        }
        const space = emitter.space();
        if (space !== undefined) {
          await space;
          continue;
        }
        const max = Math.min(CHUNK, emitter.free());
        let n = 0;
        let held = Infinity;
        while (n < max && input.size > 0) {
          buf[n] = input.shift();
          const index = input.shiftedSeq;
          if (index < held) held = index;
          indexes[n++] = index;
        }
        if (this.#counters !== undefined) {
          this.#counters.in += n;
          this.#counters.out += n;
        }
        // held from the moment they left the channel (a fused stage may read the watermark)
        this.#held = held;
        this.#heldIndexes = indexes;
        this.#heldCount = n;
        const w = emitter.emit(buf, indexes, n);
        if (w !== undefined) await w;
        // an abort cuts a push short: what was not pushed stays held (never counted done)
        if (signal.aborted) break;
        this.#held = Infinity;
        // awaits that settle in microtasks do not let the loop turn: make sure it does
        const turn = turns.chunk();
        if (turn !== undefined) await turn;
      }
    } finally {
      emitter.close();
    }
  }
}
