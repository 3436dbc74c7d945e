import type { ChildKeys } from "../../executor/ChildKeys.js";
import {
  compilePullTail,
  compileTail,
  SPILL_AT,
  type ChildId,
  type CompiledTail,
  type PullTail,
  type TailIter,
  type TailState,
} from "./compileTail.js";
import type { InlineOp } from "./InlineOp.js";
import { interpretTail } from "./interpretTail.js";
import { itemFailed } from "../stage/itemFailed.js";
import { fusedLoop, type FusedLoop } from "../../plan/fusedLoop.js";
import type { RunScope } from "../RunScope.js";

/** Told by {@link FusedTail.pull} what it took from its iterator, before anything it took fails or waits. */
export interface PullTaker {
  /**
   * `n` items were taken; `ended`: the iterator ended, or its `next()` threw `error` (after the
   * `n` items before it, which went through).
   */
  took(n: number, ended: boolean, error: { error: unknown } | undefined): void;
  /**
   * `n` more of the items this pull took went through the tail, into its sink or handed on below
   * (a pull goes on after an item that waited: see {@link FusedTail.pull}), so they are held no
   * longer. Returns whether the pull may take more (false: the source was stopped, the run
   * aborted, or the source has a gate to ask first).
   */
  through(n: number): boolean;
}

/** Stands for the input of a pull's slow path, which reads no item from it (it finishes the one that left). */
const noItems: readonly unknown[] = [];

/** Hands `outV[0..n)` on (to the step's outlet); a promise when it had to wait for room. */
export type Spill = (n: number) => Promise<void> | undefined;

/**
 * Runs a chunk of items through a step's fused synchronous stages. The compiled loop (generated, or
 * interpreted where the host forbids code generation: see {@link fusedLoop}) handles the
 * common case; an op that returns a thenable (or a flatMap that returns an AsyncIterable) or throws
 * hands over to a small interpreter for that one item (and the rest of any flatMap it was inside),
 * then the compiled loop carries on. Items are processed one after another, so a fused stage's
 * reused context describes the item being processed for as long as that item is.
 *
 * A flatMap's expansion is pulled lazily: once the output holds {@link SPILL_AT} items it is
 * handed on through `spill` (waiting for room below) before the iterable is pulled further, and
 * each item of an AsyncIterable is handed on as it arrives. So neither a huge iterable nor a slow
 * async generator is collected before its first item moves on.
 */
export class FusedTail {
  /** The fused stages, in order. */
  readonly ops: readonly InlineOp[];
  readonly #scope: RunScope;
  readonly #cnt: Float64Array;
  readonly #loop: CompiledTail;
  /** The loop that pulls a synchronous iterator itself (generated on the first {@link FusedTail.pull}). */
  #pullLoop: PullTail | undefined;
  /** Whether {@link FusedTail.run}'s loop was generated or is the interpreter (no code generation here). */
  readonly loop: FusedLoop;
  readonly #st: TailState = { i: 0, k: 0, o: 0, v: undefined, s: 0, p: undefined, e: undefined, iters: [] };
  #in = 0;
  /** End of the chunk the slow path is working through (-1 when it is not). */
  #slowEnd = -1;
  #spill: Spill | undefined;
  /**
   * The event loop turned since {@link FusedTail.#watchTurns} (an immediate it scheduled ran): the
   * items the tail waited on meanwhile really waited (timers, I/O), so the output gathered so far
   * is handed on before the tail goes on, instead of waiting for the rest of its chunk. Awaits that
   * settle in microtasks let nothing else run, so their items gather into one hand-on as
   * synchronous ones do.
   */
  #turned = false;
  /** An immediate that sets {@link FusedTail.#turned} is scheduled. */
  #turnWatched = false;
  readonly #markTurn = (): void => {
    this.#turnWatched = false;
    this.#turned = true;
  };
  /** A keyed run: gives a flatMap's items ids of their own (see `ChildKeys`). */
  readonly #child: ChildId | undefined;
  /**
   * Ids the slow path is working on (the item it took over, expanded items, a child on its way):
   * `#pinned[0..#pinnedN)`, a count over a buffer that keeps its storage (writing an array's
   * `length` for every awaited item was a measurable part of the item's way through the slow path).
   */
  readonly #pinned: number[] = [];
  #pinnedN = 0;
  /** The last op is a sink: nothing flows out (see {@link FusedTail.endsInSink}). */
  readonly #sinkEnd: boolean;

  constructor(ops: readonly InlineOp[], scope: RunScope, children?: ChildKeys) {
    this.ops = ops;
    this.#scope = scope;
    this.#cnt = new Float64Array(ops.length);
    this.loop = fusedLoop();
    const child =
      children !== undefined && ops.some((op) => op.kind === "flatMap")
        ? (parent: number, position: number): number => children.child(parent, position)
        : undefined;
    this.#child = child;
    this.#sinkEnd = ops[ops.length - 1]?.kind === "sink";
    this.#loop = this.loop === "generated" ? compileTail(ops, this.#cnt, child) : interpretTail(ops, this.#cnt, child);
  }

  /** True when {@link FusedTail.pull} may be called (the loop is generated). */
  get pulls(): boolean {
    return this.loop === "generated";
  }

  /**
   * Calls `visit` with the ids the slow path is working on (none when it is not): with the
   * emitter's output, what a keyed run's flatMap children keep their keys for.
   */
  forEachPending(visit: (index: number) => void): void {
    if (this.#slowEnd < 0) return;
    visit(this.#st.s);
    const pinned = this.#pinned;
    for (let k = 0; k < this.#pinnedN; k++) visit(pinned[k]!);
  }

  /** True when the tail is only a sink (or ends in one): nothing flows out. */
  get endsInSink(): boolean {
    return this.#sinkEnd;
  }

  /**
   * Items of the chunk in progress not yet through the tail (the one an op is awaiting and those
   * after it), while the slow path works; 0 otherwise.
   */
  pending(): number {
    return this.#slowEnd < 0 ? 0 : this.#slowEnd - this.#st.i;
  }

  /**
   * Processes `inV[start..end)` and appends survivors to `outV`/`outS` (which must start empty).
   * `inS` holds their source indexes; a number means item `i`'s index is `inS + i` (consecutive
   * indexes), null that it is `i` (an array source read in place). Returns the output count, or a
   * promise of it when an op went asynchronous. A flatMap expansion may hand output on early
   * through `spill` (then `outV`/`outS` start again at 0). Throws (or rejects) a StageError when an item fails under `onError: "fail"`.
   */
  run(
    inV: readonly unknown[],
    inS: ArrayLike<number> | number | null,
    start: number,
    end: number,
    outV: unknown[],
    outS: number[],
    spill: Spill,
  ): number | Promise<number> {
    this.#spill = spill;
    const t0 = this.#scope.clock.now();
    const n = end - start;
    this.#in += n;
    const o = this.#loop(inV, inS, start, end, outV, outS, 0, this.#st);
    if (o >= 0) {
      this.#account(t0, n);
      return o;
    }
    return this.#slow(inV, inS, end, outV, outS, o, t0, n);
  }

  /**
   * As {@link FusedTail.run}, for up to `max` items the tail pulls from the synchronous iterator
   * `it` itself, item `i` having the source index `first + i` (only when {@link FusedTail.pulls}).
   * `taker` hears what was taken as soon as the loop stops. An item that goes asynchronous (or
   * fails, or fills the output from a flatMap) stops the loop; once it is through, the pull goes
   * on to `max` (while `taker.through` allows), as it would have had every item been synchronous,
   * so a stage that returns a promise per item (`row => db.write(row)`, not `async`) is not
   * pulled anew for every item. What the pull put out goes on below through `spill` as soon as
   * such an item is done if the event loop turned while it waited (see {@link FusedTail.#turned}),
   * else with the rest of the pull.
   */
  pull(
    it: Iterator<unknown>,
    first: number,
    max: number,
    outV: unknown[],
    outS: number[],
    spill: Spill,
    taker: PullTaker,
  ): number | Promise<number> {
    this.#spill = spill;
    const t0 = this.#scope.clock.now();
    const st = this.#st;
    this.#pullLoop ??= compilePullTail(this.ops, this.#cnt, this.#child);
    const o = this.#pullLoop(it, first, max, outV, outS, 0, st);
    if (o >= 0 || o === -4) {
      const n = st.i;
      const error = o === -4 ? { error: st.e } : undefined;
      st.e = undefined;
      this.#in += n;
      taker.took(n, o === -4 || st.k === 1, error);
      this.#account(t0, n);
      return o >= 0 ? o : st.o;
    }
    // the item at st.i left the loop: finished by the slow path, then the pull goes on (see above)
    const n = st.i + 1;
    this.#in += n;
    taker.took(n, false, undefined);
    return this.#pullOn(it, first, max, n, outV, outS, o, t0, taker);
  }

  /**
   * The rest of a pull, from the item the loop left at (`code`, the `taken`-th item): each item
   * that left is finished (a sink's own promise awaited at once, the rest by the slow path, which
   * hands the output on when the event loop turned meanwhile), then the loop pulls on from the
   * next, until `max` items were taken, the iterator ends or throws, or the taker says stop. Every
   * stop of the loop is told to the taker before anything it took waits, and only what was handed
   * on is told to it as through. Returns the count of the output not handed on yet.
   */
  async #pullOn(
    it: Iterator<unknown>,
    first: number,
    max: number,
    taken: number,
    outV: unknown[],
    outS: number[],
    code: number,
    t0: number,
    taker: PullTaker,
  ): Promise<number> {
    const st = this.#st;
    const loop = this.#pullLoop!;
    const last = this.ops.length - 1;
    let total = taken;
    let through = 0;
    let from = first;
    let n = taken;
    /** The output gathered and not handed on yet (none in a sink's tail). */
    let o = 0;
    if (!this.#sinkEnd) this.#watchTurns();
    try {
      for (;;) {
        if (code === -1 && st.k === last && st.iters.length === 0 && this.#sinkEnd) {
          // the sink's own promise, and nothing else left of the item: awaited as it is
          const v = st.v;
          const s = st.s;
          // pending (see `pending` and `forEachPending`): this item, as on the slow path
          this.#slowEnd = st.i + 1;
          try {
            await (st.p as PromiseLike<unknown>);
            this.#cnt[last]!++;
          } catch (error) {
            this.#failed(last, v, s, error);
          } finally {
            this.#slowEnd = -1;
          }
        } else o = await this.#slow(noItems, from, n, outV, outS, code, t0, -1);
        // what was handed on (all of it when nothing is left in the output) is held no longer
        const more = taker.through(o === 0 ? total - through : 0);
        if (o === 0) through = total;
        if (!more || total >= max || this.#scope.aborted) return o;
        from = first + total;
        code = loop(it, from, max - total, outV, outS, o, st);
        if (code >= 0 || code === -4) {
          const error = code === -4 ? { error: st.e } : undefined;
          st.e = undefined;
          this.#in += st.i;
          total += st.i;
          taker.took(st.i, code === -4 || st.k === 1, error);
          return code >= 0 ? code : st.o;
        }
        n = st.i + 1;
        this.#in += n;
        total += n;
        taker.took(n, false, undefined);
      }
    } finally {
      this.#account(t0, total);
    }
  }

  /**
   * Finishes what the loop left at (`first`: its exit code, details in the state), then runs the
   * rest of `inV[..end)` through the loop, leaving it again as often as it has to. Accounts the
   * chunk of `n` items begun at `t0` when done (not when `n` is negative: the caller does).
   */
  async #slow(
    inV: readonly unknown[],
    inS: ArrayLike<number> | number | null,
    end: number,
    outV: unknown[],
    outS: number[],
    first: number,
    t0: number,
    n: number,
  ): Promise<number> {
    const st = this.#st;
    let code = first;
    this.#slowEnd = end;
    const scope = this.#scope;
    const pinned = this.#pinned;
    const last = this.ops.length - 1;
    if (n >= 0 && !this.#sinkEnd) this.#watchTurns();
    try {
      for (;;) {
        // an aborted run ends here: what is left of the chunk (and of its expansions) is dropped
        if (scope.aborted) return st.o;
        const i = st.i;
        let o = st.o;
        if (code === -1 && st.k === last && st.iters.length === 0 && this.#sinkEnd) {
          // the sink's own promise, and nothing else left of the item: awaited as it is (the
          // item is pending as `st.s`, which the loop does not touch until it runs again)
          this.#pinnedN = 0;
          const v = st.v;
          const s = st.s;
          try {
            await (st.p as PromiseLike<unknown>);
            this.#cnt[last]!++;
          } catch (error) {
            this.#failed(last, v, s, error);
          }
        } else {
          const { k, v, s, p, e, iters } = st;
          pinned[0] = s;
          let pins = 1;
          for (const entry of iters) if (entry[2] !== undefined) pinned[pins++] = entry[2];
          this.#pinnedN = pins;
          if (code === -3) {
            // a flatMap filled the output: hand it on, then finish its iterators lazily
            o = await this.#handOn(outV, outS, o);
          } else if (code === -1) {
            let result: unknown;
            let ok = true;
            try {
              result = await (p as PromiseLike<unknown>);
            } catch (error) {
              ok = false;
              this.#failed(k, v, s, error);
            }
            if (ok) o = await this.#continueAfter(k, result, v, s, outV, outS, o);
          } else {
            this.#failed(k, v, s, e);
          }
          if (iters.length > 0) o = await this.#drainIters(iters, s, outV, outS, o);
          // an item that waited through a turn of the event loop goes on once done, with those
          // before it, not after the rest of its chunk (see #turned)
          if (code === -1 && o > 0 && this.#turned) {
            o = await this.#handOn(outV, outS, o);
            this.#watchTurns();
          }
        }
        code = this.#loop(inV, inS, i + 1, end, outV, outS, o, st);
        if (code >= 0) return code;
      }
    } finally {
      this.#slowEnd = -1;
      this.#pinnedN = 0;
      if (n >= 0) this.#account(t0, n);
    }
  }

  /** From now on, {@link FusedTail.#turned} says whether the event loop turned. */
  #watchTurns(): void {
    this.#turned = false;
    if (this.#turnWatched) return; // the one scheduled runs after now as well
    this.#turnWatched = true;
    setImmediate(this.#markTurn);
  }

  /** Hands `outV[0..o)` on and waits until it went (room below); the output then starts again. */
  async #handOn(outV: unknown[], outS: number[], o: number): Promise<number> {
    if (o === 0) return 0;
    const wait = this.#spill!(o);
    if (wait !== undefined) await wait;
    outV.length = 0;
    outS.length = 0;
    return 0;
  }

  /**
   * An op at `k` produced `result` from input `v` (asynchronously, or on the interpreter's way):
   * finish that op, then the rest. Synchronous until an op returns a thenable (or a flatMap
   * expands, or the output fills): a promise of the output length from there on.
   */
  #continueAfter(
    k: number,
    result: unknown,
    v: unknown,
    s: number,
    outV: unknown[],
    outS: number[],
    o: number,
  ): number | Promise<number> {
    const op = this.ops[k]!;
    switch (op.kind) {
      case "map":
        this.#cnt[k]!++;
        return this.#interpret(k + 1, result, s, outV, outS, o);
      case "filter":
        if (!result) return o;
        this.#cnt[k]!++;
        return this.#interpret(k + 1, v, s, outV, outS, o);
      case "tap":
      case "sink":
        this.#cnt[k]!++;
        return this.#interpret(k + 1, v, s, outV, outS, o);
      case "flatMap":
        return this.#expand(k, result, v, s, outV, outS, o);
    }
  }

  /**
   * Runs value `v` through ops `k..` one at a time, awaiting thenables: synchronously as long as
   * none returns one (see {@link FusedTail.#continueAfter}).
   */
  #interpret(k: number, v: unknown, s: number, outV: unknown[], outS: number[], o: number): number | Promise<number> {
    if (k === this.ops.length) {
      if (!this.endsInSink) {
        outV[o] = v;
        outS[o] = s;
        return o + 1 >= SPILL_AT ? this.#handOn(outV, outS, o + 1) : o + 1;
      }
      return o;
    }
    const op = this.ops[k]!;
    let result: unknown;
    try {
      op.ctx.index = s;
      result = op.fn(v, op.ctx);
    } catch (error) {
      this.#failed(k, v, s, error);
      return o;
    }
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function")
      return this.#interpretSettled(k, result as PromiseLike<unknown>, v, s, outV, outS, o);
    return this.#continueAfter(k, result, v, s, outV, outS, o);
  }

  /** Op `k` returned `pending` for `v`: once it settled, its result goes on (or the item fails). */
  async #interpretSettled(
    k: number,
    pending: PromiseLike<unknown>,
    v: unknown,
    s: number,
    outV: unknown[],
    outS: number[],
    o: number,
  ): Promise<number> {
    let result: unknown;
    try {
      result = await pending;
    } catch (error) {
      this.#failed(k, v, s, error);
      return o;
    }
    return this.#continueAfter(k, result, v, s, outV, outS, o);
  }

  async #expand(
    k: number,
    result: unknown,
    v: unknown,
    s: number,
    outV: unknown[],
    outS: number[],
    o: number,
  ): Promise<number> {
    const child = this.#child;
    const depth = this.#pinnedN;
    let position = 0;
    if (child !== undefined) this.#pinned[this.#pinnedN++] = s;
    try {
      if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
        // each item goes on as it arrives: a slow generator's first items do not wait for its last
        for await (const w of result as AsyncIterable<unknown>) {
          this.#cnt[k]!++;
          o =
            child === undefined
              ? await this.#interpret(k + 1, w, s, outV, outS, o)
              : await this.#interpretChild(k, w, s, position++, outV, outS, o);
          o = await this.#handOn(outV, outS, o);
          if (this.#scope.aborted) break; // returns the iterator: an endless one ends here
        }
      } else {
        for (const w of result as Iterable<unknown>) {
          this.#cnt[k]!++;
          o =
            child === undefined
              ? await this.#interpret(k + 1, w, s, outV, outS, o)
              : await this.#interpretChild(k, w, s, position++, outV, outS, o);
          if (this.#scope.aborted) break;
        }
      }
      this.#pinnedN = depth;
    } catch (error) {
      this.#pinnedN = depth;
      this.#failed(k, v, s, error);
    }
    return o;
  }

  /**
   * Item `position` of flatMap `k`'s expansion of the item with id `parent` through the ops
   * after it, in a keyed run: under an id of its own, pinned while on its way.
   */
  async #interpretChild(
    k: number,
    w: unknown,
    parent: number,
    position: number,
    outV: unknown[],
    outS: number[],
    o: number,
  ): Promise<number> {
    const id = this.#child!(parent, position);
    const depth = this.#pinnedN;
    this.#pinned[this.#pinnedN++] = id;
    try {
      return await this.#interpret(k + 1, w, id, outV, outS, o);
    } finally {
      this.#pinnedN = depth;
    }
  }

  /** Finishes flatMap iterators left mid-way, innermost first. */
  async #drainIters(iters: TailIter[], s: number, outV: unknown[], outS: number[], o: number): Promise<number> {
    for (let d = iters.length - 1; d >= 0; d--) {
      const entry = iters[d]!;
      const [k, it] = entry;
      // a keyed run's iterator: the item it expands, and how many items it gave
      const parent = entry[2] ?? s;
      try {
        for (let x = it.next(); x.done !== true; x = it.next()) {
          this.#cnt[k]!++;
          o =
            entry[3] === undefined
              ? await this.#interpret(k + 1, x.value, s, outV, outS, o)
              : await this.#interpretChild(k, x.value, parent, entry[3]++, outV, outS, o);
          if (this.#scope.aborted) {
            it.return?.();
            break;
          }
        }
      } catch (error) {
        this.#failed(k, undefined, parent, error);
      }
    }
    return o;
  }

  #failed(k: number, item: unknown, index: number, error: unknown): void {
    const op = this.ops[k]!;
    op.counters.failed(error);
    itemFailed(this.#scope, op.counters, op.onError, item, index, error, 1);
  }

  /** Folds the chunk into each fused stage's counters: in/out from the loop's counts, shared timing. */
  #account(t0: number, n: number): void {
    const now = this.#scope.clock.now();
    const dt = now - t0;
    const ops = this.ops;
    for (let k = 0; k < ops.length; k++) {
      const c = ops[k]!.counters;
      c.in = k === 0 ? this.#in : this.#cnt[k - 1]!;
      c.out = this.#cnt[k]!;
      c.busyMs += dt;
      if (n > 0) c.latency.recordMany(dt / n, n);
    }
  }
}
