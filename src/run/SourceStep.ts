import { SourceError } from "../errors/SourceError.js";
import { ArrayReader } from "../source/ArrayReader.js";
import type { SourceReader } from "../source/SourceReader.js";
import type { StageCounters } from "../stats/StageCounters.js";
import type { Emitter } from "./Emitter.js";
import type { RunScope } from "./RunScope.js";
import { CHUNK, YIELD_EVERY, yieldToLoop, type Step } from "./Step.js";

/** Hooks a source step consults between chunks (memory-aware pausing plugs in here). */
export interface SourceGate {
  /** Resolves when the source may be pulled again; undefined when it may be now. */
  ready(): Promise<void> | undefined;
}

/**
 * Pulls the source in chunks no larger than the room below (so the source is never read ahead of
 * what the channels can hold), numbers each item with its source index, and emits.
 */
export class SourceStep implements Step {
  readonly #reader: SourceReader<unknown>;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters;
  readonly #gate: SourceGate | undefined;
  #stopped = false;
  /** Smallest source index of a chunk waiting for room below. */
  #held = Infinity;

  constructor(reader: SourceReader<unknown>, emitter: Emitter, counters: StageCounters, scope: RunScope, gate?: SourceGate) {
    this.#reader = reader;
    this.#emitter = emitter;
    this.#counters = counters;
    this.#scope = scope;
    this.#gate = gate;
  }

  /** Stop pulling; what was pulled still flows through. */
  stop(): void {
    this.#stopped = true;
  }

  /** True once the source is exhausted or no longer pulled. */
  get finished(): boolean {
    return this.#stopped || this.#reader.done;
  }

  /** Items pulled. */
  get position(): number {
    return this.#reader.position;
  }

  minSeq(): number {
    return this.#held;
  }

  async run(): Promise<void> {
    const reader = this.#reader;
    const emitter = this.#emitter;
    const signal = this.#scope.signal;
    const buf: unknown[] = [];
    const seqs: number[] = [];
    let syncChunks = 0;
    // an array (not a typed array: its items are read by index either way) feeding a fused tail is read in place
    const inPlace = reader instanceof ArrayReader && emitter.hasTail && Array.isArray(reader.items) ? reader : undefined;
    try {
      while (!this.#stopped && !signal.aborted) {
        const space = emitter.space();
        if (space !== undefined) {
          await space;
          syncChunks = 0;
          continue;
        }
        const gate = this.#gate?.ready();
        if (gate !== undefined) {
          await gate;
          continue;
        }
        const max = Math.min(CHUNK, emitter.free());
        const base = reader.position;
        if (inPlace !== undefined) {
          const n = inPlace.advance(max);
          if (n === 0) break;
          this.#counters.out += n;
          this.#counters.in += n;
          const w = emitter.emitInPlace(inPlace.items as unknown[], base, base + n);
          if (w !== undefined) {
            this.#held = base;
            await w;
            this.#held = Infinity;
            syncChunks = 0;
          } else if (++syncChunks >= YIELD_EVERY) {
            syncChunks = 0;
            await yieldToLoop();
          }
          continue;
        }
        buf.length = 0;
        let n: number;
        try {
          const r = reader.read(max, buf);
          if (typeof r === "number") n = r;
          else {
            n = await r;
            syncChunks = 0;
          }
        } catch (error) {
          throw new SourceError(this.#scope.pipeline, reader.position, error);
        }
        if (n === 0) {
          if (reader.done) break;
          continue;
        }
        for (let i = 0; i < n; i++) seqs[i] = base + i;
        this.#counters.out += n;
        this.#counters.in += n;
        const w = emitter.emit(buf, seqs, n);
        if (w !== undefined) {
          this.#held = base;
          await w;
          this.#held = Infinity;
          syncChunks = 0;
        } else if (++syncChunks >= YIELD_EVERY) {
          syncChunks = 0;
          await yieldToLoop();
        }
      }
    } finally {
      this.#stopped = true;
      emitter.close();
      await reader.close().catch(() => undefined);
    }
  }
}
