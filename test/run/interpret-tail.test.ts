/**
 * The interpreted fused loop keeps the generated loop's contract exactly: for any chain of fused
 * ops (map, filter, flatMap, tap, sink; values, thenables, throws, async-only iterables, large
 * expansions) and any input, both return the same code and output, leave the same state and add
 * the same counts. This is what lets FusedTail's slow path run on either.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePullTail, compileTail, SPILL_AT, type TailState } from "../../src/run/fused/compileTail.js";
import { interpretTail } from "../../src/run/fused/interpretTail.js";
import { fusedContext, type InlineOp } from "../../src/run/fused/InlineOp.js";
import { StageCounters } from "../../src/stats/StageCounters.js";

type Behaviour = "value" | "thenable" | "throw" | "asyncOnly" | "big";
interface OpSpec {
  readonly kind: InlineOp["kind"];
  /** What the op does on items whose value % 7 equals `on`. */
  readonly on: number;
  readonly behaviour: Behaviour;
}

const thenable = { then: (): void => {} };

function makeOps(specs: readonly OpSpec[]): InlineOp[] {
  const signal = new AbortController().signal;
  return specs.map((spec, k) => {
    const special = (x: number): boolean => Math.abs(x) % 7 === spec.on;
    const fn = (x: unknown): unknown => {
      const v = x as number;
      if (special(v)) {
        if (spec.behaviour === "thenable") return thenable;
        if (spec.behaviour === "throw") throw new Error(`op ${k} on ${v}`);
        if (spec.behaviour === "asyncOnly" && spec.kind === "flatMap")
          return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) };
      }
      switch (spec.kind) {
        case "map":
          return v * 3 + k;
        case "filter":
          return v % 2 === 0;
        case "flatMap":
          return spec.behaviour === "big" && special(v)
            ? Array.from({ length: SPILL_AT + 5 }, (_, i) => v + i)
            : [v, v + 1];
        default:
          return undefined;
      }
    };
    return {
      kind: spec.kind,
      fn,
      ctx: fusedContext(signal, `s${k}`),
      onError: "skip",
      counters: new StageCounters(`s${k}`, spec.kind, "inline"),
    };
  });
}

/** How the input's source indexes are given: an array of them, null (the position), a number (offset + position). */
type Numbering = "array" | "null" | "offset";

function freshState(): TailState {
  return { i: 0, k: 0, o: 0, v: undefined, s: 0, p: undefined, e: undefined, iters: [] };
}

/** One call of a loop: its code, output, state (iterators by op index and their next value) and counts. */
function runOnce(
  make: (ops: readonly InlineOp[], cnt: Float64Array) => ReturnType<typeof compileTail>,
  specs: readonly OpSpec[],
  input: readonly number[],
  indexed: Numbering,
): unknown {
  const ops = makeOps(specs);
  const cnt = new Float64Array(ops.length);
  const loop = make(ops, cnt);
  const st = freshState();
  const outV: unknown[] = [];
  const outS: number[] = [];
  const inS = indexed === "array" ? input.map((_, i) => i * 10) : indexed === "offset" ? 1000 : null;
  const code = loop(input, inS, 0, input.length, outV, outS, 0, st);
  return described(code, st, outV, outS, cnt);
}

/** A loop's call as data: its code, output, state (iterators by op index and their next value) and counts. */
function described(code: number, st: TailState, outV: unknown[], outS: number[], cnt: Float64Array): unknown {
  return {
    code,
    out: outV.slice(0, code >= 0 ? code : st.o),
    outS: outS.slice(0, code >= 0 ? code : st.o),
    cnt: [...cnt],
    state:
      code >= 0
        ? { iters: st.iters.length }
        : {
            i: st.i,
            k: st.k,
            o: st.o,
            s: st.s,
            v: code === -3 ? undefined : st.v,
            p: code === -1 ? (st.p === thenable ? "thenable" : typeof st.p) : undefined,
            e: code === -2 ? String(st.e) : undefined,
            // each iterator mid-way: its op, and what it yields next (same position in both loops)
            iters: st.iters.map(([k, it]) => [k, it.next().value]),
          },
  };
}

/**
 * One call of the pulling loop over an iterator of `input` that throws at `throwAt` (if any),
 * taking at most `max`: as {@link described}, a -4 (the iterator threw) shown as the normal exit
 * it is for the items before, plus how many items it took, whether it saw the end, and how many
 * times it called `next()`.
 */
function runPulled(specs: readonly OpSpec[], input: readonly number[], max: number, throwAt: number): unknown {
  const ops = makeOps(specs);
  const cnt = new Float64Array(ops.length);
  const loop = compilePullTail(ops, cnt);
  const st = freshState();
  const outV: unknown[] = [];
  const outS: number[] = [];
  let calls = 0;
  const it: Iterator<number> = {
    next: () => {
      const at = calls++;
      if (at === throwAt) throw new Error(`source at ${at}`);
      return at < input.length ? { done: false, value: input[at]! } : { done: true, value: undefined };
    },
  };
  const code = loop(it, 1000, max, outV, outS, 0, st);
  const taken = code >= 0 || code === -4 ? st.i : st.i + 1;
  return {
    call: code === -4 ? described(st.o, { ...st, iters: [] }, outV, outS, cnt) : described(code, st, outV, outS, cnt),
    threw: code === -4 ? String(st.e) : undefined,
    taken,
    ended: code >= 0 ? st.k === 1 : undefined,
    calls,
  };
}

/** What {@link runPulled} must give: the array loop's call over the items the pull can take. */
function expectedPull(specs: readonly OpSpec[], input: readonly number[], max: number, throwAt: number): unknown {
  const reach = Math.min(input.length, max, throwAt);
  const call = runOnce(compileTail, specs, input.slice(0, reach), "offset") as { code: number; state: { i?: number } };
  const left = call.code < 0;
  // next() is called for positions 0..max-1 until an item leaves; the call at throwAt throws
  const threw = !left && throwAt < max && throwAt <= input.length;
  const ended = !left && !threw && input.length < max;
  return {
    call,
    threw: threw ? `Error: source at ${throwAt}` : undefined,
    taken: left ? call.state.i! + 1 : reach,
    ended: left || threw ? undefined : ended,
    // one call per item taken, plus the one that saw the end or threw
    calls: left ? call.state.i! + 1 : reach + (threw || ended ? 1 : 0),
  };
}

const opSpec = fc.record({
  kind: fc.constantFrom<InlineOp["kind"]>("map", "filter", "flatMap", "tap"),
  on: fc.integer({ min: 0, max: 6 }),
  behaviour: fc.constantFrom<Behaviour>("value", "value", "thenable", "throw", "asyncOnly", "big"),
});

describe("interpretTail matches compileTail", () => {
  it("same code, output, state and counts for random op chains and inputs", () => {
    fc.assert(
      fc.property(
        fc.array(opSpec, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }),
        fc.constantFrom<Numbering>("array", "null", "offset"),
        (specs, endsInSink, input, indexed) => {
          const chain: OpSpec[] = endsInSink ? [...specs, { kind: "sink", on: 0, behaviour: "value" }] : specs;
          assert.deepEqual(runOnce(interpretTail, chain, input, indexed), runOnce(compileTail, chain, input, indexed));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("compilePullTail matches compileTail", () => {
  it("pulling items from an iterator does what the array loop does over the items it takes", () => {
    fc.assert(
      fc.property(
        fc.array(opSpec, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.integer({ min: 0, max: 45 }), { nil: Infinity }),
        (specs, endsInSink, input, max, throwAt) => {
          const chain: OpSpec[] = endsInSink ? [...specs, { kind: "sink", on: 0, behaviour: "value" }] : specs;
          assert.deepEqual(runPulled(chain, input, max, throwAt), expectedPull(chain, input, max, throwAt));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("takes one item at a time: an op sees item i after exactly i + 1 calls of next()", () => {
    let calls = 0;
    const seen: number[] = [];
    const ops = makeOps([{ kind: "map", on: 0, behaviour: "value" }]);
    const spy: InlineOp = { ...ops[0]!, fn: (x: unknown) => (seen.push(calls), x) };
    const it: Iterator<number> = {
      next: () => (calls++ < 5 ? { done: false, value: calls } : { done: true, value: 0 }),
    };
    const st = freshState();
    assert.equal(compilePullTail([spy], new Float64Array(1))(it, 0, 100, [], [], 0, st), 5);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.equal(st.k, 1);
  });
});

describe("a fused loop over a chunk numbered from an offset", () => {
  it("gives item i the source index offset + i, in both loops", () => {
    for (const make of [compileTail, interpretTail]) {
      const ops = makeOps([{ kind: "map", on: 0, behaviour: "value" }]);
      const loop = make(ops, new Float64Array(ops.length));
      const outV: unknown[] = [];
      const outS: number[] = [];
      const o = loop([5, 6, 7], 4096, 0, 3, outV, outS, 0, freshState());
      assert.equal(o, 3);
      assert.deepEqual(outS.slice(0, 3), [4096, 4097, 4098]);
    }
  });
});
