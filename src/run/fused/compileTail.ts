import type { InlineOp } from "./InlineOp.js";
import { readsContext } from "../../stage/readsContext.js";
import { loopTag } from "./loopTag.js";

/**
 * State a compiled tail leaves behind when it stops early: at a thenable or an async-only
 * flatMap result (-1), an error (-2), or a flatMap expansion that filled the output to
 * {@link SPILL_AT} (-3). `iters` holds, outermost first, the flatMap iterators that were mid-way,
 * so the caller can finish their remaining items (after handing the output on, for -3).
 */
export interface TailState {
  /** Position in the input of the item that stopped the loop. */
  i: number;
  /** The op it stopped at. */
  k: number;
  /** Output length so far. */
  o: number;
  /** The value the op was called with. */
  v: unknown;
  /** Its source index. */
  s: number;
  /** What the op returned (-1): a thenable, or an AsyncIterable from a flatMap. */
  p: unknown;
  /** What the op threw (-2). */
  e: unknown;
  /** flatMap iterators left mid-way, outermost first, with the op index each belongs to. */
  iters: TailIter[];
}

/**
 * A flatMap iterator left mid-way: its op, the iterator, and in a keyed run (children get ids of
 * their own: see `ChildKeys`) the id of the item it expands and how many items it gave so far.
 */
export type TailIter = [op: number, iterator: Iterator<unknown>, parent?: number, pulled?: number];

/** Gives a keyed run's flatMap child its id: output `position` of the item with id `parent`. */
export type ChildId = (parent: number, position: number) => number;

/**
 * Most outputs a tail buffers before handing them on: a flatMap's expansion is pulled only while
 * the output holds fewer, so a huge (or endless) iterable is read as the channel below drains.
 */
export const SPILL_AT = 1024;

/**
 * `(inV, inS, start, n, outV, outS, o, st) => o'`: runs items `start..n-1` through every op and
 * appends survivors to `outV`/`outS` from index `o`. Returns the new output length, or -1
 * (an op returned a thenable, or a flatMap an AsyncIterable) / -2 (an op threw) / -3 (a flatMap
 * filled the output to {@link SPILL_AT} before its next item) with details in `st`. `inS` holds
 * the items' source indexes, or is a number: item `i`'s source index is then `inS + i` (no array
 * to fill and read: a chunk of consecutive indexes); null is 0, item `i`'s index is `i` itself
 * (an array source read in place).
 */
export type CompiledTail = (
  inV: readonly unknown[],
  inS: ArrayLike<number> | number | null,
  start: number,
  n: number,
  outV: unknown[],
  outS: number[],
  o: number,
  st: TailState,
) => number;

/**
 * Generates one specialised loop for a run of fused ops. Each generated function has its own
 * call sites, so V8 sees one target per site and can inline the stage functions: this is what
 * makes a fused pipeline run near the speed of a hand-written loop. V8 shares code and feedback
 * between `new Function`s of the same source text, so the text carries a tag of the stage
 * functions ({@link loopTag}): pipelines of the same shape get loops of their own, while the runs
 * of one pipeline share theirs.
 *
 * Per-op output counts are kept in locals and added to `cnt[k]` when the loop exits (the input
 * count of op k is the output count of op k-1). Before each call the op's reused context gets the
 * item's source index (`c.index = s`): one property store, no allocation, and none at all for a
 * function that cannot see its context (see {@link readsContext}).
 *
 * A flatMap whose function returns an AsyncIterable (and no Iterable) leaves the loop like a
 * thenable does: the slow path iterates it asynchronously. A flatMap checks the output before
 * each `next()` of its iterator: once it holds {@link SPILL_AT} items, the loop leaves (-3) so the
 * caller hands them on (waiting for room below) before the iterator is pulled further.
 *
 * With `child` (a keyed run), each item a flatMap yields goes on under the id `child` gives it
 * (its key: the expanded item's and its position); without it, under the expanded item's index,
 * and the generated loop is the same as it always was.
 */
export function compileTail(ops: readonly InlineOp[], cnt: Float64Array, child?: ChildId): CompiledTail {
  const { params, args, body, counters, writeBack } = tailParts(ops, child);
  const source =
    `"use strict"; return function fusedTail(inV, inS, start, n, outV, outS, o, st) { ${loopTag(ops.map((op) => op.fn))}` +
    `let i = start, k = 0, v, s, ${counters}; if (st.iters.length !== 0) st.iters = [];` +
    `try { if (inS === null || typeof inS === "number") { const off = inS === null ? 0 : inS; for (; i < n; i++) { v = inV[i]; s = off + i; ${body} } } ` +
    `else { for (; i < n; i++) { v = inV[i]; s = inS[i]; ${body} } } }` +
    `catch (e) { st.i = i; st.k = k; st.o = o; st.v = v; st.s = s; st.e = e; return -2; }` +
    `finally { ${writeBack} }` +
    `return o; };`;
  const factory = new Function("cnt", "ch", ...params, source) as (...a: unknown[]) => CompiledTail;
  return factory(cnt, child, ...args);
}

/**
 * `(it, first, max, outV, outS, o, st) => o'`: pulls up to `max` items from the synchronous
 * iterator `it` and runs each through every op as it comes (item `i` of the call has the source
 * index `first + i`), with no array in between: a generator source read by its fused tail. The
 * exits are {@link CompiledTail}'s (-1, -2, -3: the pull stops at the item that left, which is
 * `st.i`), plus -4: `it.next()` threw (`st.e`; the `st.i` items before it went through). On a
 * normal exit `st.i` is the count of items pulled and `st.k` is 1 if the iterator ended, else 0.
 */
export type PullTail = (
  it: Iterator<unknown>,
  first: number,
  max: number,
  outV: unknown[],
  outS: number[],
  o: number,
  st: TailState,
) => number;

/**
 * Generates the loop of {@link compileTail} for items pulled from an iterator ({@link PullTail}).
 * Pulling inside the loop instead of reading a chunk into an array first makes a generator source
 * feeding fused stages 14-27 % faster (bench/README.md, "Generator sources").
 */
export function compilePullTail(ops: readonly InlineOp[], cnt: Float64Array, child?: ChildId): PullTail {
  const { params, args, body, counters, writeBack } = tailParts(ops, child);
  const source =
    `"use strict"; return function pulledTail(it, first, max, outV, outS, o, st) { ${loopTag(ops.map((op) => op.fn))}` +
    `let i = 0, k = -1, v, s, ${counters}; if (st.iters.length !== 0) st.iters = [];` +
    `try { for (; i < max; i++) { k = -1; const x = it.next(); if (x.done === true) { st.i = i; st.k = 1; return o; } ` +
    `v = x.value; s = first + i; ${body} } }` +
    `catch (e) { st.i = i; st.k = k; st.o = o; st.v = v; st.s = s; st.e = e; return k === -1 ? -4 : -2; }` +
    `finally { ${writeBack} }` +
    `st.i = i; st.k = 0; return o; };`;
  const factory = new Function("cnt", "ch", ...params, source) as (...a: unknown[]) => PullTail;
  return factory(cnt, child, ...args);
}

/** What both generated loops share: their parameters and the body that runs one item through every op. */
function tailParts(
  ops: readonly InlineOp[],
  child: ChildId | undefined,
): { params: string[]; args: unknown[]; body: string; counters: string; writeBack: string } {
  const params = ops.flatMap((_, k) => [`f${k}`, `c${k}`]);
  const args = ops.flatMap((op) => [op.fn, op.ctx]);
  const keyed = child !== undefined;
  let depth = 0;
  const thenable = (x: string): string =>
    `(${x} !== null && typeof ${x} === "object" && typeof ${x}.then === "function")`;
  // (none at depth 0: the loop starts with an empty list, and leaves as soon as it fills one)
  const saveIters = (d: number): string =>
    d === 0
      ? ""
      : `st.iters = [${Array.from({ length: d }, (_, j) => (keyed ? `[K${j}, it${j}, p${j}, j${j}]` : `[K${j}, it${j}]`)).join(", ")}];`;
  const leave = (k: number, cond: string, x: string): string =>
    `if (${cond}) { st.i = i; st.k = ${k}; st.o = o; st.v = v; st.s = s; st.p = ${x}; ${saveIters(depth)} return -1; }`;
  const pending = (k: number, x: string): string => leave(k, thenable(x), x);
  // an AsyncIterable that is not also an Iterable: the slow path iterates it (awaiting it is a no-op)
  const asyncOnly = (x: string): string =>
    `(${x} !== null && typeof ${x} === "object" && typeof ${x}[Symbol.iterator] !== "function" && typeof ${x}[Symbol.asyncIterator] === "function")`;
  const call = (k: number): string =>
    `${readsContext(ops[k]!.fn) ? `c${k}.index = s; ` : ""}const r = f${k}(v, c${k});`;

  function gen(k: number): string {
    if (k === ops.length) {
      const last = ops[ops.length - 1];
      return last !== undefined && last.kind === "sink" ? "" : "outV[o] = v; outS[o++] = s;";
    }
    const op = ops[k]!;
    switch (op.kind) {
      case "map":
        return `k = ${k}; { ${call(k)} ${pending(k, "r")} v = r; } n${k}++; ${gen(k + 1)}`;
      case "filter":
        return `k = ${k}; { ${call(k)} ${pending(k, "r")} if (!r) continue; } n${k}++; ${gen(k + 1)}`;
      case "tap":
      case "sink":
        return `k = ${k}; { ${call(k)} ${pending(k, "r")} } n${k}++; ${gen(k + 1)}`;
      case "flatMap": {
        const d = depth++;
        const body = gen(k + 1);
        depth--;
        // keyed: each child goes on under its own id (the item's is `p`, restored while it is pulled)
        const own = keyed ? `const p${d} = s; let j${d} = 0; ` : "";
        const parent = keyed ? `s = p${d}; ` : "";
        const childId = keyed ? `s = ch(p${d}, j${d}++); ` : "";
        return (
          `k = ${k}; { ${call(k)} ${pending(k, "r")} ${leave(k, asyncOnly("r"), "r")} ` +
          `const K${d} = ${k}; const it${d} = r[Symbol.iterator](); ${own}` +
          `for (;;) { if (o >= ${SPILL_AT}) { st.i = i; st.k = ${k}; st.o = o; st.s = s; st.p = undefined; ${saveIters(d + 1)} return -3; } ` +
          `k = ${k}; ${parent}const x${d} = it${d}.next(); if (x${d}.done === true) break; v = x${d}.value; ${childId}n${k}++; ` +
          `try { ${body} } catch (e) { if (st.iters.length === 0) ${saveIters(d + 1)} throw e; } } }`
        );
      }
    }
  }

  const counters = ops.map((_, k) => `n${k} = 0`).join(", ");
  const writeBack = ops.map((_, k) => `cnt[${k}] += n${k};`).join(" ");
  return { params, args, body: gen(0), counters, writeBack };
}
