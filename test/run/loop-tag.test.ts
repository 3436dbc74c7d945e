/**
 * A generated fused loop's source text names the stage functions it calls (`loopTag`): V8 shares
 * code and type feedback between `new Function`s of the same text, so pipelines of one shape
 * would otherwise share one loop, and its call sites every pipeline's functions.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compilePullTail, compileTail } from "../../src/run/fused/compileTail.js";
import { fusedContext, type InlineOp } from "../../src/run/fused/InlineOp.js";
import { loopTag } from "../../src/run/fused/loopTag.js";
import { StageCounters } from "../../src/stats/StageCounters.js";

type Fn = (x: unknown) => unknown;

function ops(...fns: Fn[]): InlineOp[] {
  const signal = new AbortController().signal;
  return fns.map((fn, k) => ({
    kind: k === fns.length - 1 ? "sink" : "map",
    fn,
    ctx: fusedContext(signal, `s${k}`),
    onError: "skip",
    counters: new StageCounters(`s${k}`, "map", "inline"),
  }));
}

/** The source text of both generated loops for `fns`. */
function texts(fns: Fn[]): [string, string] {
  const o = ops(...fns);
  return [String(compileTail(o, new Float64Array(o.length))), String(compilePullTail(o, new Float64Array(o.length)))];
}

describe("one generated loop per pipeline", () => {
  const double: Fn = (x) => (x as number) * 2;
  const inc: Fn = (x) => (x as number) + 1;
  const drop: Fn = () => undefined;

  it("gives pipelines of the same shape with different functions loops of different texts", () => {
    const [tailA, pullA] = texts([double, drop]);
    const [tailB, pullB] = texts([inc, drop]);
    assert.notEqual(tailA, tailB);
    assert.notEqual(pullA, pullB);
  });

  it("gives the runs of one pipeline, and closures of one function literal, the same text", () => {
    assert.deepEqual(texts([double, drop]), texts([double, drop]));
    const scaled =
      (factor: number): Fn =>
      (x) =>
        (x as number) * factor;
    assert.deepEqual(texts([scaled(2), drop]), texts([scaled(3), drop]));
  });

  it("tells the same functions in another order apart", () => {
    assert.notEqual(loopTag([double, inc, drop]), loopTag([inc, double, drop]));
    assert.equal(loopTag([double, inc, drop]), loopTag([double, inc, drop]));
  });
});
