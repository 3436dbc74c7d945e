import { ArrayReader } from "../../source/ArrayReader.js";
import { IteratorReader } from "../../source/IteratorReader.js";
import type { SourceReader } from "../../source/SourceReader.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { Emitter } from "../emit/Emitter.js";
import type { PullTaker } from "../fused/FusedTail.js";
import type { RunScope } from "../RunScope.js";
import { LoopTurns } from "./LoopTurns.js";
import { onAbort } from "../onAbort.js";
import { CHUNK, yieldToLoop, type Step } from "../Step.js";

/** Hooks a source step consults between chunks (memory-aware pausing plugs in here). */
export interface SourceGate {
  /** Resolves when the source may be pulled again; undefined when it may be now. */
  ready(): Promise<void> | undefined;
}

/** A source that threw or rejected: the error, and how many items it had given. */
export interface SourceFailure {
  readonly cause: unknown;
  readonly position: number;
}

/**
 * Where a source stands among the pipeline's sources. Item indices interleave: the item at
 * position `p` of source `index` gets the run-wide index `p × sources + index`, so every item's
 * index is unique and stable (the same on every run), and one source's items are found from it.
 */
export interface SourceNumbering {
  /** How many sources the pipeline has. */
  readonly sources: number;
  /** This source's place among them (0-based, in the order they were added). */
  readonly index: number;
  /**
   * Shared by the sources of one run (absent with one source): which pulled last, and how many
   * wait for room below. A source that pulled last lets a waiting one go first (one turn of the
   * event loop), so sources feeding one channel share its room instead of the first starving the rest.
   */
  readonly turns?: SourceTurns | undefined;
}

/** What the sources of one run share to take turns (see {@link SourceNumbering.turns}). */
export interface SourceTurns {
  /** Index of the source that pulled last (-1 before any did). */
  last: number;
  /** Sources waiting for room below. */
  waiting: number;
}

const interrupted = Symbol("interrupted");
const ignore = (): void => {};

/**
 * Pulls the source in chunks no larger than the room below (so the source is never read ahead of
 * what the channels can hold), numbers each item with its source index, and emits.
 *
 * `stop()` and the run's abort interrupt whatever the step is waiting on before a pull (a read
 * the source has not answered, room below, a source gate), then close the reader: an idle async
 * source cannot keep a stopping run alive. Items already pulled still flow through.
 *
 * A source that throws or rejects ends the step as if the source had ended: what was read before
 * flows through, and the step records the failure ({@link SourceStep.failure}) for the run to
 * reject with once it drained. Items pulled but not yet handed on count in {@link SourceStep.minIndex}
 * from the moment a read starts, so the run's low watermark is never ahead of them.
 */
export class SourceStep implements Step {
  readonly #reader: SourceReader<unknown>;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters;
  readonly #gate: SourceGate | undefined;
  /** Sources of the pipeline (several sources interleave their indices: see {@link SourceNumbering}). */
  readonly #stride: number;
  /** This source's place among them. */
  readonly #offset: number;
  readonly #turns: SourceTurns | undefined;
  #stopped = false;
  #failure: SourceFailure | undefined;
  /** Smallest source index of a chunk being read, or read and not yet handed on. */
  #held = Infinity;
  /** Set once the step must stop waiting for the source (stop or abort). */
  #isInterrupted = false;
  /** The one wait in progress (the step waits on one thing at a time): how to end it. */
  #resolveWait: ((value: unknown) => void) | undefined;
  #rejectWait: ((error: unknown) => void) | undefined;
  readonly #interrupt = (): void => {
    this.#isInterrupted = true;
    this.#settleWait(interrupted, undefined, false);
  };
  readonly #waitResolved = (value: unknown): void => this.#settleWait(value, undefined, false);
  /** Room below, maybe (see {@link SourceStep.#spaceBelow}). */
  readonly #wokeForSpace = (): void => {
    // a waker left from a wait the interrupt ended must not settle a later wait of another kind
    if (this.#waitingForSpace) this.#settleWait(undefined, undefined, false);
  };
  /** The pending wait is {@link SourceStep.#spaceBelow}'s. */
  #waitingForSpace = false;
  readonly #waitRejected = (error: unknown): void => this.#settleWait(undefined, error, true);
  /** What a fused tail that pulls the source itself took ({@link Emitter.emitPulled}): counted as a read would be. */
  readonly #took: PullTaker = {
    took: (n, ended, error) => {
      (this.#reader as IteratorReader<unknown>).took(n, ended);
      this.#counters.out += n;
      this.#counters.in += n;
      // what was taken before flows through; the run rejects with this once it drained
      if (error !== undefined) this.#failure = { cause: error.error, position: this.#reader.position };
    },
    // a pull that goes on after an item that waited: what went through (into a sink, or handed on
    // below) is held no longer; it goes on only as the loop below would start another at once (not
    // stopped, not aborted, no gate to ask between chunks; a pipeline of several sources, which
    // take turns, numbers their items apart and is not pulled this way)
    through: (n) => {
      this.#held += n;
      return !this.#stopped && !this.#scope.signal.aborted && this.#gate === undefined;
    },
  };
  readonly #startWait = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    this.#resolveWait = resolve;
    this.#rejectWait = reject;
  };

  constructor(
    reader: SourceReader<unknown>,
    emitter: Emitter,
    counters: StageCounters,
    scope: RunScope,
    gate?: SourceGate,
    numbering: SourceNumbering = { sources: 1, index: 0 },
  ) {
    this.#stride = numbering.sources;
    this.#offset = numbering.index;
    this.#turns = numbering.turns;
    this.#reader = reader;
    this.#emitter = emitter;
    this.#counters = counters;
    this.#scope = scope;
    this.#gate = gate;
  }

  /** Stop pulling (at once, even while a read is pending); what was pulled still flows through. */
  stop(): void {
    this.#stopped = true;
    this.#interrupt();
  }

  /**
   * Waits for `p` unless the step is interrupted first (then `interrupted`). Not a
   * `Promise.race` against one long-lived promise: each race would leave a reaction on it for
   * as long as the run lasts (one per chunk: memory growing with the input). The step waits on
   * one thing at a time, so the handlers are bound once and the wait in progress is a field.
   */
  #unlessInterrupted<T>(p: Promise<T>): Promise<T | typeof interrupted> {
    if (this.#isInterrupted) return Promise.resolve(interrupted);
    const wait = new Promise<unknown>(this.#startWait) as Promise<T | typeof interrupted>;
    p.then(this.#waitResolved, this.#waitRejected);
    return wait;
  }

  /**
   * Undefined when every channel below has room; else a promise that resolves when they may have
   * (the caller asks again), or with `interrupted`. One promise per wait: the channel wakes this
   * step's own wait, not a promise of its own that this one would then follow.
   */
  #spaceBelow(emitter: Emitter): Promise<unknown> | undefined {
    // (the channel calls its wakers later, never from here)
    if (!emitter.whenSpace(this.#wokeForSpace)) return undefined;
    if (this.#isInterrupted) return Promise.resolve(interrupted);
    const wait = new Promise<unknown>(this.#startWait);
    this.#waitingForSpace = true;
    return wait;
  }

  #settleWait(value: unknown, error: unknown, failed: boolean): void {
    this.#waitingForSpace = false;
    const resolve = this.#resolveWait;
    const reject = this.#rejectWait;
    this.#resolveWait = undefined;
    this.#rejectWait = undefined;
    if (failed) reject?.(error);
    else resolve?.(value);
  }

  /** True once the source is exhausted or no longer pulled. */
  get finished(): boolean {
    return this.#stopped || this.#reader.done;
  }

  /** Items pulled. */
  get position(): number {
    return this.#reader.position;
  }

  /** The run-wide index the next item pulled will get (its position, when the pipeline has one source). */
  get nextIndex(): number {
    return this.#reader.position * this.#stride + this.#offset;
  }

  /** Set when the source threw or rejected: what, and after how many items. */
  get failure(): SourceFailure | undefined {
    return this.#failure;
  }

  forEachHeld(visit: (index: number) => void): void {
    // the chunk being read or handed on: every index from its first up to the next one pulled
    const end = this.nextIndex;
    for (let s = this.#held; s < end; s += this.#stride) visit(s);
  }

  forEachPending(visit: (index: number) => void): void {
    this.#emitter.forEachPending(visit);
  }

  /** Items pulled and not yet gone out (through the fused tail into the channels below). */
  held(): number {
    return this.#emitter.pending();
  }

  /** The smallest source index of a chunk pulled but not yet handed on (Infinity when none). */
  minIndex(): number {
    return this.#held;
  }

  /** Pulls until the source ends, `stop()`, or the run aborts; then closes the reader and the outlet. */
  async run(): Promise<void> {
    const reader = this.#reader;
    const emitter = this.#emitter;
    const signal = this.#scope.signal;
    // one buffer for every chunk: readers write from 0 (emptying it would drop its backing store,
    // which then grows again, item by item, on every chunk)
    const buf: unknown[] = [];
    /** Entries of `buf` the chunk being pushed filled: emptied once it went out (`release`). */
    let filled = 0;
    const indexes: number[] = [];
    const loopTurns = new LoopTurns();
    // an array (not a typed array: its items are read by index either way) feeding a fused tail is read in place
    const stride = this.#stride;
    const offset = this.#offset;
    const turns = this.#turns;
    let deferred = false;
    const skip = reader.skip;
    const inPlace =
      stride === 1 &&
      skip === undefined &&
      reader instanceof ArrayReader &&
      emitter.hasTail &&
      Array.isArray(reader.items)
        ? reader
        : undefined;
    // a fused tail numbers a chunk's items itself (consecutive indexes: no array of them)
    const numbered = stride === 1 && skip === undefined && emitter.hasTail;
    // and pulls a synchronous iterator itself, with no chunk array between them (not when the run
    // keeps item latency metrics: those stamp a chunk when it is admitted, before its tail runs)
    const pulled =
      numbered && reader instanceof IteratorReader && emitter.pulls && this.#counters.admitted === undefined
        ? reader
        : undefined;
    // and a synchronous source (an iterator, an array) with no fused stage after it feeding one
    // channel is read straight into that channel: no chunk array, no array of indexes (not when
    // items are stamped as they are admitted, nor when several sources number their items apart)
    const direct =
      stride === 1 && skip === undefined && reader.readInto !== undefined && this.#counters.admitted === undefined
        ? emitter.sole
        : undefined;
    const unsubscribe = onAbort(signal, this.#interrupt);
    try {
      while (!this.#stopped && !signal.aborted) {
        const space = this.#spaceBelow(emitter);
        if (space !== undefined) {
          if (turns === undefined) {
            if ((await space) === interrupted) break;
            continue;
          }
          turns.waiting++;
          let woke: unknown;
          try {
            woke = await space;
          } finally {
            // in this step's own continuation: a source woken with it still counts as waiting until then
            turns.waiting--;
          }
          if (woke === interrupted) break;
          continue;
        }
        if (turns !== undefined) {
          // pulled last while another source waits for room: let it go first, once
          if (turns.last === offset && turns.waiting > 0 && !deferred) {
            deferred = true;
            if ((await this.#unlessInterrupted(yieldToLoop())) === interrupted) break;
            continue;
          }
          deferred = false;
          turns.last = offset;
        }
        const gate = this.#gate?.ready();
        if (gate !== undefined) {
          if ((await this.#unlessInterrupted(gate)) === interrupted) break;
          continue;
        }
        const max = Math.min(CHUNK, emitter.free());
        const base = reader.position;
        if (inPlace !== undefined) {
          const n = inPlace.advance(max);
          if (n === 0) break;
          this.#counters.out += n;
          this.#counters.in += n;
          this.#counters.admitted?.(base, n);
          this.#held = base;
          const w = emitter.emitInPlace(inPlace.items as unknown[], base, base + n);
          if (w !== undefined) await w;
          // an abort cuts a push short: what was not pushed stays held (never counted done)
          if (signal.aborted) break;
          this.#held = Infinity;
          const turn = loopTurns.chunk();
          if (turn !== undefined) await turn;
          continue;
        }
        if (pulled !== undefined) {
          this.#held = base;
          const w = emitter.emitPulled(pulled.iterator, base, max, this.#took);
          if (w !== undefined) await w;
          if (signal.aborted) break;
          this.#held = Infinity;
          if (this.#failure !== undefined || pulled.done) break;
          const turn = loopTurns.chunk();
          if (turn !== undefined) await turn;
          continue;
        }
        if (direct !== undefined) {
          this.#held = base;
          let n: number;
          try {
            n = reader.readInto!(max, direct, base);
          } catch (error) {
            // what was read before flows through; the run rejects with this once it drained
            this.#failure = { cause: error, position: reader.position };
            this.#held = Infinity;
            break;
          }
          this.#held = Infinity;
          if (n === 0) {
            if (reader.done) break;
            continue;
          }
          emitter.pushed(n);
          this.#counters.out += n;
          this.#counters.in += n;
          const turn = loopTurns.chunk();
          if (turn !== undefined) await turn;
          continue;
        }
        let n: number;
        this.#held = base * stride + offset;
        try {
          const r = reader.read(max, buf);
          if (typeof r === "number") n = r;
          else {
            const got = await this.#unlessInterrupted(r);
            if (got === interrupted) {
              // the read is abandoned: closing the reader ends it, and its items are not handed on
              // (they leave the position when it settles; until then they hold the watermark)
              r.catch(ignore);
              break;
            }
            n = got;
          }
        } catch (error) {
          // what was read before flows through; the run rejects with this once it drained
          this.#failure = { cause: error, position: reader.position };
          this.#held = Infinity;
          break;
        }
        filled = n;
        if (n === 0) {
          this.#held = Infinity;
          if (reader.done) break;
          continue;
        }
        if (skip !== undefined) {
          // a resumed durable run: items done before it stopped are not handed on again
          let kept = 0;
          for (let i = 0; i < n; i++) {
            if (skip.has(base + i)) continue;
            buf[kept] = buf[i];
            indexes[kept++] = (base + i) * stride + offset;
          }
          n = kept;
          if (n === 0) {
            filled = release(buf, filled);
            this.#held = Infinity;
            continue;
          }
        } else if (numbered) {
          // the fused tail numbers the chunk itself: base, base + 1, …
        } else if (stride === 1) for (let i = 0; i < n; i++) indexes[i] = base + i;
        else for (let i = 0; i < n; i++) indexes[i] = (base + i) * stride + offset;
        this.#counters.out += n;
        this.#counters.in += n;
        this.#counters.admitted?.(base, n);
        const w = numbered ? emitter.emitNumbered(buf, base, n) : emitter.emit(buf, indexes, n);
        if (w !== undefined) await w;
        filled = release(buf, filled);
        if (signal.aborted) break;
        this.#held = Infinity;
        const turn = loopTurns.chunk();
        if (turn !== undefined) await turn;
      }
    } finally {
      unsubscribe();
      this.#stopped = true;
      emitter.close();
      await reader.close().catch(ignore);
    }
  }
}

/**
 * Empties the first `filled` places of the source's reused chunk buffer once its chunk went out,
 * so it holds no item longer than the push that carried it (its storage is kept); returns 0.
 */
function release(buf: unknown[], filled: number): 0 {
  for (let i = 0; i < filled; i++) buf[i] = undefined;
  return 0;
}
