/**
 * Inline map → filter → map → sum over 5,000,000 numbers: a hand-written loop (the limit), Effect
 * Stream, RxJS, Node streams and weir (fused inline steps), from an array and from a generator.
 *
 *   node --import tsx bench/inline.ts          # this suite only
 *   npm run bench -- inline
 */
import { pipeline } from "../src/index.js";
import { contender, main, type Suite } from "./suite.js";
import { effectWork, rxjsWork, streamsWork, weirWork } from "./work.js";

/** The numbers 0 … n-1, as a prepared array (outside the timed section). */
function numbers(size: number): number[] {
  const a = new Array<number>(size);
  for (let i = 0; i < size; i++) a[i] = i;
  return a;
}

/** The numbers 0 … n-1, generated lazily (inside the timed section). */
function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}

const noInput = (): undefined => undefined;

/** `map → filter → map → sink` over `source` by a loop that was handed the four functions. */
function loopHanded(
  source: Iterable<number>,
  map1: (x: number) => number,
  keep: (x: number) => boolean,
  map2: (x: number) => number,
  sink: (x: number) => void,
): void {
  for (const v of source) {
    const x = map1(v);
    if (!keep(x)) continue;
    sink(map2(x));
  }
}

export const inline: Suite = {
  name: "inline",
  title: "Inline map/filter/map, 5,000,000 numbers",
  module: import.meta.url,
  metric: "throughput",
  work: "`x * 2` → keep `x % 3 !== 0` → `x + 1` → sum, over 0…4,999,999 (a sum is the checksum every row must match)",
  sizes: [5_000_000],
  warmups: 5,
  warmupSize: 500_000,
  runs: 3,
  contenders: {
    loop: contender({
      role: "limit",
      label: "for loop over the array",
      prepare: numbers,
      run(a: number[]) {
        let sum = 0;
        for (let i = 0; i < a.length; i++) {
          const x = a[i]! * 2;
          if (x % 3 === 0) continue;
          sum += x + 1;
        }
        return sum;
      },
    }),
    "loop-generator": contender({
      role: "reference",
      label: "for…of over a generator",
      prepare: noInput,
      run(_: undefined, size) {
        let sum = 0;
        for (const v of range(size)) {
          const x = v * 2;
          if (x % 3 === 0) continue;
          sum += x + 1;
        }
        return sum;
      },
    }),
    // the same loop in a function handed the pipeline's four functions, the sum kept in a
    // closure as a sink keeps it: a plain loop running the code a weir user hands over
    // (bench/README.md, "What a generator source is compared with")
    "loop-generator-fns": contender({
      role: "reference",
      label: "for…of over a generator, in a loop handed the same four functions",
      prepare: noInput,
      run(_: undefined, size) {
        let sum = 0;
        loopHanded(
          range(size),
          (x) => x * 2,
          (x) => x % 3 !== 0,
          (x) => x + 1,
          (x) => {
            sum += x;
          },
        );
        return sum;
      },
    }),
    effect: contender({
      role: "peer",
      label: "Effect Stream",
      prepare: numbers,
      run: effectWork,
    }),
    rxjs: contender({
      role: "peer",
      label: "RxJS",
      prepare: numbers,
      run: rxjsWork,
    }),
    "node-streams": contender({
      role: "peer",
      label: "Node streams (object mode, stream.pipeline)",
      prepare: numbers,
      run: streamsWork,
    }),
    "weir-array": contender({
      role: "weir",
      label: "weir, array source",
      prepare: numbers,
      async run(a: number[]) {
        const { sink, sum } = weirWork(a);
        await sink.run();
        return sum();
      },
    }),
    "weir-interpreted": contender({
      role: "reference",
      label: "weir, array source, interpreted fused loop (`--disallow-code-generation-from-strings`)",
      nodeFlags: ["--disallow-code-generation-from-strings"],
      prepare: numbers,
      async run(a: number[]) {
        const { sink, sum } = weirWork(a);
        if (sink.plan().steps[0]!.fusedLoop !== "interpreted") throw new Error("the fused loop is not interpreted");
        await sink.run();
        return sum();
      },
    }),
    "weir-array-beside": contender({
      role: "weir",
      label:
        "weir, array source, beside a pipeline of the same shape (other functions, 50,000 items, run first in each call)",
      prepare: numbers,
      async run(a: number[]) {
        // a second pipeline in the process, as most services have: its stages differ, its shape does not
        let other = 0;
        await pipeline<number>("other")
          .from(a.slice(0, 50_000))
          .map((x) => ({ v: x }))
          .filter((o) => o.v % 5 !== 0)
          .map((o) => o.v - 1)
          .to((x) => {
            other += x & 1;
          })
          .run();
        const { sink, sum } = weirWork(a);
        await sink.run();
        return other >= 0 ? sum() : -1;
      },
    }),
    "weir-generator": contender({
      role: "weir",
      label: "weir, generator source",
      prepare: noInput,
      async run(_: undefined, size) {
        const { sink, sum } = weirWork(range(size));
        await sink.run();
        return sum();
      },
    }),
  },
};

await main(inline);
