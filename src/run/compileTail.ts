import type { InlineOp } from "./InlineOp.js";

/**
 * State a compiled tail leaves behind when it stops early: at a thenable (-1) or an error (-2).
 * `iters` holds, outermost first, the flatMap iterators that were mid-way, so the caller can
 * finish their remaining items.
 */
export interface TailState {
  i: number;
  k: number;
  o: number;
  v: unknown;
  s: number;
  p: unknown;
  e: unknown;
  iters: Array<[number, Iterator<unknown>]>;
}

/**
 * `(inV, inS, start, n, outV, outS, o, st) => o'`: runs items `start..n-1` through every op and
 * appends survivors to `outV`/`outS` from index `o`. Returns the new output length, or -1
 * (an op returned a thenable) / -2 (an op threw) with details in `st`. When `inS` is null the
 * source index of item `i` is `i` itself (an array source read in place).
 */
export type CompiledTail = (
  inV: readonly unknown[],
  inS: ArrayLike<number> | null,
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
 * makes a fused pipeline run near the speed of a hand-written loop.
 *
 * Per-op output counts are kept in locals and added to `cnt[k]` when the loop exits (the input
 * count of op k is the output count of op k-1).
 */
export function compileTail(ops: readonly InlineOp[], cnt: Float64Array): CompiledTail {
  const params = ops.flatMap((_, k) => [`f${k}`, `c${k}`]);
  const args = ops.flatMap((op) => [op.fn, op.ctx]);
  let depth = 0;
  const thenable = (x: string): string => `(${x} !== null && typeof ${x} === "object" && typeof ${x}.then === "function")`;
  const saveIters = (d: number): string =>
    `st.iters = [${Array.from({ length: d }, (_, j) => `[K${j}, it${j}]`).join(", ")}];`;
  const pending = (k: number, x: string): string =>
    `if (${thenable(x)}) { st.i = i; st.k = ${k}; st.o = o; st.v = v; st.s = s; st.p = ${x}; ${saveIters(depth)} return -1; }`;

  function gen(k: number): string {
    if (k === ops.length) {
      const last = ops[ops.length - 1];
      return last !== undefined && last.kind === "sink" ? "" : "outV[o] = v; outS[o++] = s;";
    }
    const op = ops[k]!;
    switch (op.kind) {
      case "map":
        return `k = ${k}; { const r = f${k}(v, c${k}); ${pending(k, "r")} v = r; } n${k}++; ${gen(k + 1)}`;
      case "filter":
        return `k = ${k}; { const r = f${k}(v, c${k}); ${pending(k, "r")} if (!r) continue; } n${k}++; ${gen(k + 1)}`;
      case "tap":
      case "sink":
        return `k = ${k}; { const r = f${k}(v, c${k}); ${pending(k, "r")} } n${k}++; ${gen(k + 1)}`;
      case "flatMap": {
        const d = depth++;
        const body = gen(k + 1);
        depth--;
        return (
          `k = ${k}; { const r = f${k}(v, c${k}); ${pending(k, "r")} ` +
          `const K${d} = ${k}; const it${d} = r[Symbol.iterator](); ` +
          `for (let x${d} = it${d}.next(); x${d}.done !== true; x${d} = it${d}.next()) { v = x${d}.value; n${k}++; ` +
          `try { ${body} } catch (e) { if (st.iters.length === 0) ${saveIters(d + 1)} throw e; } } }`
        );
      }
    }
  }

  const counters = ops.map((_, k) => `n${k} = 0`).join(", ");
  const writeBack = ops.map((_, k) => `cnt[${k}] += n${k};`).join(" ");
  const source =
    `"use strict"; return function fusedTail(inV, inS, start, n, outV, outS, o, st) {` +
    `let i = start, k = 0, v, s, ${counters}; st.iters = [];` +
    `try { if (inS === null) { for (; i < n; i++) { v = inV[i]; s = i; ${gen(0)} } } ` +
    `else { for (; i < n; i++) { v = inV[i]; s = inS[i]; ${gen(0)} } } }` +
    `catch (e) { st.i = i; st.k = k; st.o = o; st.v = v; st.s = s; st.e = e; return -2; }` +
    `finally { ${writeBack} }` +
    `return o; };`;
  const factory = new Function("cnt", ...params, source) as (...a: unknown[]) => CompiledTail;
  return factory(cnt, ...args);
}
