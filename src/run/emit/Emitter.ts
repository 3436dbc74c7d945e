import type { Channel } from "../../channel/Channel.js";
import type { FusedTail, PullTaker, Spill } from "../fused/FusedTail.js";
import type { Outlet } from "./Outlet.js";

/**
 * The end of every step: its fused tail (if any), then its outlet. A step awaits each emit before
 * the next, so the tail's output buffers are reused without copying.
 */
export class Emitter {
  readonly #tail: FusedTail | undefined;
  readonly #outlet: Outlet;
  readonly #outV: unknown[] = [];
  readonly #outS: number[] = [];
  /** A fused flatMap hands its output on early through this (bounded output, lazy expansion). */
  readonly #spill: Spill = (n) => this.#outlet.push(this.#outV, this.#outS, n);

  constructor(tail: FusedTail | undefined, outlet: Outlet) {
    this.#tail = tail;
    this.#outlet = outlet;
  }

  /**
   * Items given to {@link Emitter.emit} that have not gone out yet: not yet through the fused
   * tail, or waiting for room in a full channel below.
   */
  pending(): number {
    return (this.#tail?.pending() ?? 0) + this.#outlet.pending;
  }

  /**
   * Calls `visit` with the ids of the tail's output not handed on yet (stale ones allowed) and
   * of what its slow path is working on: what a keyed run's flatMap children keep their keys for.
   */
  forEachPending(visit: (index: number) => void): void {
    const outS = this.#outS;
    for (let i = 0; i < outS.length; i++) visit(outS[i]!);
    this.#tail?.forEachPending(visit);
  }

  /** Room below before a push would wait (Infinity when nothing reads). */
  free(): number {
    return this.#outlet.free();
  }

  /** Resolves when every channel below has room; undefined when it already has. */
  space(): Promise<void> | undefined {
    return this.#outlet.space();
  }

  /** {@link Emitter.space} as a callback: see {@link Outlet.whenSpace}. */
  whenSpace(wake: () => void): boolean {
    return this.#outlet.whenSpace(wake);
  }

  /** True when nothing reads what is emitted: no fused tail, and an outlet that discards. */
  get discards(): boolean {
    return this.#tail === undefined && this.#outlet.discards;
  }

  /**
   * The one channel items go into, when no fused tail runs before it and the outlet feeds it
   * alone (see {@link Outlet.sole}): a source may push into it itself, up to {@link Emitter.free}
   * items, then says so with {@link Emitter.pushed}.
   */
  get sole(): Channel<unknown> | undefined {
    return this.#tail === undefined ? this.#outlet.sole : undefined;
  }

  /** `n` items went into {@link Emitter.sole} by the caller's own hand. */
  pushed(n: number): void {
    this.#outlet.pushed(n);
  }

  /** True when a fused tail runs before the outlet. */
  get hasTail(): boolean {
    return this.#tail !== undefined;
  }

  /** Runs `values[0..n)` through the tail and out. Undefined when it all happened synchronously. */
  emit(values: readonly unknown[], indexes: ArrayLike<number>, n: number): Promise<void> | undefined {
    const tail = this.#tail;
    if (tail === undefined) return this.#outlet.push(values, indexes, n);
    return this.#run(tail, values, indexes, 0, n);
  }

  /**
   * Runs `source[start..end)` through the tail in place, each item's source index being its
   * position: an array source with no copy. Only when {@link Emitter.hasTail}.
   */
  emitInPlace(source: readonly unknown[], start: number, end: number): Promise<void> | undefined {
    return this.#run(this.#tail!, source, null, start, end);
  }

  /**
   * Runs `values[0..n)` through the tail, item `k`'s source index being `first + k` (a chunk of
   * consecutive indexes: no array of them to fill). Only when {@link Emitter.hasTail}.
   */
  emitNumbered(values: readonly unknown[], first: number, n: number): Promise<void> | undefined {
    return this.#run(this.#tail!, values, first, 0, n);
  }

  #run(
    tail: FusedTail,
    values: readonly unknown[],
    indexes: ArrayLike<number> | number | null,
    start: number,
    end: number,
  ): Promise<void> | undefined {
    const outV = this.#outV;
    const outS = this.#outS;
    // the values are written from 0 over the last chunk's entries, which `release` emptied once
    // they went out (`length = 0` would drop the array's storage, grown again item by item on every
    // chunk); the indexes start empty (forEachPending reads up to their length)
    outS.length = 0;
    return this.#out(tail.run(values, indexes, start, end, outV, outS, this.#spill));
  }

  /** True when {@link Emitter.emitPulled} may be called: a fused tail whose loop is generated. */
  get pulls(): boolean {
    return this.#tail?.pulls === true;
  }

  /**
   * Has the fused tail pull up to `max` items from the synchronous iterator `it` itself, item `k`
   * having the source index `first + k`, and hands what comes out on; `taker` hears what it took
   * (see {@link FusedTail.pull}). Only when {@link Emitter.pulls}.
   */
  emitPulled(it: Iterator<unknown>, first: number, max: number, taker: PullTaker): Promise<void> | undefined {
    this.#outS.length = 0;
    return this.#out(this.#tail!.pull(it, first, max, this.#outV, this.#outS, this.#spill, taker));
  }

  /** Hands the tail's output (`m` items, or a promise of their count) on. */
  #out(m: number | Promise<number>): Promise<void> | undefined {
    const outV = this.#outV;
    const outS = this.#outS;
    if (typeof m === "number") {
      if (m === 0) return undefined;
      const w = this.#outlet.push(outV, outS, m);
      if (w === undefined) {
        release(outV, m);
        return undefined;
      }
      return w.then(() => release(outV, m));
    }
    return m.then((k) => {
      const w = this.#outlet.push(outV, outS, k);
      return w === undefined ? release(outV, k) : w.then(() => release(outV, k));
    });
  }

  /** No more output. */
  close(): void {
    this.#outlet.close();
  }
}

/** Empties `values[0..n)` once they went out, so the buffer holds no item longer than its push (its storage is kept). */
function release(values: unknown[], n: number): void {
  for (let i = 0; i < n; i++) values[i] = undefined;
}
