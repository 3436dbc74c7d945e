import { readsContext } from "../../stage/readsContext.js";
import { SPILL_AT, type ChildId, type CompiledTail, type TailIter, type TailState } from "./compileTail.js";
import type { InlineOp } from "./InlineOp.js";

/**
 * The fused loop without code generation: the same contract as {@link compileTail}'s generated
 * function (same exits, the same {@link TailState} left behind, the same counts in `cnt`), as a
 * plain loop over the ops. Used where the host forbids `new Function`
 * (`--disallow-code-generation-from-strings`); bench/inline.ts measures what it costs.
 *
 * With `child` (a keyed run), a flatMap's items go on under ids of their own, as there.
 *
 * The returned function keeps the call in progress in its closure: calls never overlap (it is
 * synchronous, and a stage function cannot re-enter its own step's tail).
 */
export function interpretTail(ops: readonly InlineOp[], cnt: Float64Array, child?: ChildId): CompiledTail {
  const last = ops.length;
  const emits = ops[last - 1]?.kind !== "sink";
  const reads = ops.map((op) => readsContext(op.fn));
  // the call in progress
  let outV: unknown[] = [];
  let outS: number[] = [];
  let st: TailState | undefined;
  let i = 0;
  let k = 0;
  let o = 0;
  let v: unknown;
  let s = 0;
  /** flatMap iterators mid-way around the current value, outermost first. */
  let iters: TailIter[] = [];

  /** Leaves at op `at` (-1): it returned `p`, a thenable or an AsyncIterable from a flatMap. */
  function leave(at: number, p: unknown): number {
    const state = st!;
    state.i = i;
    state.k = at;
    state.o = o;
    state.v = v;
    state.s = s;
    state.p = p;
    state.iters = iters.slice();
    return -1;
  }

  /** Runs `v` through ops `from..`; 0 when done with it, or the negative exit code. */
  function through(from: number): number {
    for (let j = from; j < last; j++) {
      const op = ops[j]!;
      k = j;
      if (reads[j]) op.ctx.index = s;
      const r = op.fn(v, op.ctx);
      if (isThenable(r)) return leave(j, r);
      switch (op.kind) {
        case "map":
          v = r;
          break;
        case "filter":
          if (!r) return 0;
          break;
        case "tap":
        case "sink":
          break;
        case "flatMap":
          if (isAsyncOnly(r)) return leave(j, r);
          return expand(j, (r as Iterable<unknown>)[Symbol.iterator]());
      }
      cnt[j]!++;
    }
    if (emits) {
      outV[o] = v;
      outS[o++] = s;
    }
    return 0;
  }

  /** Pulls flatMap `j`'s iterator while the output has room, each value through the ops after it. */
  function expand(j: number, it: Iterator<unknown>): number {
    // keyed: each item goes on under an id of its own (entry[3]: how many were pulled)
    const parent = s;
    const entry: TailIter = child === undefined ? [j, it] : [j, it, parent, 0];
    iters.push(entry);
    for (;;) {
      if (o >= SPILL_AT) {
        const state = st!;
        state.i = i;
        state.k = j;
        state.o = o;
        state.s = s;
        state.p = undefined;
        state.iters = iters.slice();
        return -3;
      }
      k = j;
      s = parent;
      let x: IteratorResult<unknown>;
      try {
        x = it.next();
      } catch (error) {
        iters.pop(); // a broken iterator is not resumed
        throw error;
      }
      if (x.done === true) break;
      v = x.value;
      if (child !== undefined) s = child(parent, entry[3]!++);
      cnt[j]!++;
      const code = through(j + 1);
      if (code < 0) return code;
    }
    iters.pop();
    return 0;
  }

  return function interpretedTail(inV, inS, start, n, outV0, outS0, o0, st0) {
    outV = outV0;
    outS = outS0;
    o = o0;
    st = st0;
    iters = [];
    st0.iters = [];
    const off = inS === null ? 0 : typeof inS === "number" ? inS : -1;
    for (i = start; i < n; i++) {
      v = inV[i];
      s = off >= 0 ? off + i : (inS as ArrayLike<number>)[i]!;
      let code: number;
      try {
        code = through(0);
      } catch (error) {
        st0.i = i;
        st0.k = k;
        st0.o = o;
        st0.v = v;
        st0.s = s;
        st0.e = error;
        st0.iters = iters.slice();
        return -2;
      }
      if (code < 0) return code;
    }
    return o;
  };
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === "object" && typeof (x as PromiseLike<unknown>).then === "function";
}

/** An AsyncIterable that is not also an Iterable: the slow path iterates it. */
function isAsyncOnly(x: unknown): boolean {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function" &&
    typeof (x as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function"
  );
}
