/**
 * Before/after in one process for the inline and async paths (issue 14): the rows of
 * `bench/async.ts`, the slow sink of `bench/memory.ts` and the generator and array rows of
 * `bench/inline.ts`, and a fused tail feeding a stage below (`tail`: array → map/filter → batch,
 * generator → map → async stage), each run by this checkout and by another copy of weir
 * (`--before <path>`: a folder holding a `src/` of main, e.g. `cp -r src /tmp/base-src/`; a
 * second copy of this same `src/` shows the spread of identical code), with the hand-written
 * references they are measured against (a window of promises, `for…of`, stream.pipeline). Every
 * round runs every row once, in rotated order; prints each row's median and its ratio to the
 * reference, before and after. For a machine too busy for the harness's absolute figures.
 *
 *   node --import tsx bench/ab-flow.ts --before /tmp/base-src [--rounds 7] [--only async,sink,gen,array,tail]
 */
import { Readable, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";

const { values } = parseArgs({
  options: { before: { type: "string" }, rounds: { type: "string" }, only: { type: "string" } },
});
if (values.before === undefined) throw new Error("--before <path of the other copy> is required");
const roots = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const rounds = Number(values.rounds ?? 7);
const only = values.only?.split(",");

type Pipeline = typeof pipelineType;
const load = async (root: string): Promise<Pipeline> =>
  ((await import(`${root}/src/pipeline/pipeline.ts`)) as { pipeline: Pipeline }).pipeline;
const pipelines = { before: await load(roots.before), after: await load(roots.after) };

function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}
interface Row {
  readonly id: number;
  readonly payload: string;
}
function* rows(size: number): Generator<Row> {
  for (let i = 0; i < size; i++) yield { id: i, payload: "x".repeat(32) };
}
const immediate = (): Promise<void> => new Promise((done) => setImmediate(done));
const task = async (x: number): Promise<number> => x + 1;

/** One measured row: its group, the work on `n` items, and the checksum it returns. */
interface Case {
  readonly group: string;
  readonly n: number;
  readonly run: () => Promise<number> | number;
}

function weirCases(p: Pipeline): Record<string, Case> {
  const N_ASYNC = 1_000_000;
  const N_SINK = 1_000_000;
  const N_INLINE = 5_000_000;
  const N_TAIL_ASYNC = 500_000;
  return {
    async: {
      group: "async",
      n: N_ASYNC,
      run: async () => {
        const r = await p<number>("a").from(range(N_ASYNC)).map(task, { concurrency: 64 }).run();
        return r.stats.task!.out;
      },
    },
    "async-unordered": {
      group: "async",
      n: N_ASYNC,
      run: async () => {
        const r = await p<number>("a").from(range(N_ASYNC)).map(task, { concurrency: 64, ordered: false }).run();
        return r.stats.task!.out;
      },
    },
    "sink-async": {
      group: "sink",
      n: N_SINK,
      run: async () => {
        let count = 0;
        let sum = 0;
        const write = async (row: Row): Promise<void> => {
          sum += row.id + row.payload.length;
          if (++count % 1000 === 0) await immediate();
        };
        await p<Row>("m").from(rows(N_SINK)).to(write).run();
        return sum;
      },
    },
    "sink-sync-return": {
      group: "sink",
      n: N_SINK,
      run: async () => {
        let count = 0;
        let sum = 0;
        await p<Row>("m")
          .from(rows(N_SINK))
          .to((row) => {
            sum += row.id + row.payload.length;
            if (++count % 1000 === 0) return immediate();
            return undefined;
          })
          .run();
        return sum;
      },
    },
    "sink-async-c4": {
      group: "sink",
      n: N_SINK,
      run: async () => {
        let count = 0;
        let sum = 0;
        const write = async (row: Row): Promise<void> => {
          sum += row.id + row.payload.length;
          if (++count % 1000 === 0) await immediate();
        };
        await p<Row>("m").from(rows(N_SINK)).to(write, { concurrency: 4 }).run();
        return sum;
      },
    },
    gen: {
      group: "gen",
      n: N_INLINE,
      run: async () => {
        let sum = 0;
        await p<number>("b")
          .from(range(N_INLINE))
          .map((x) => x * 2)
          .filter((x) => x % 3 !== 0)
          .map((x) => x + 1)
          .to((x) => {
            sum += x;
          })
          .run();
        return sum;
      },
    },
    // a fused tail that hands its output on (the source's step feeds the stage below); no reference
    "tail-batch": {
      group: "tail",
      n: N_TAIL,
      run: async () => {
        let sum = 0;
        await p<number>("t")
          .from(tailNumbers)
          .map((x) => x * 2)
          .filter((x) => x % 3 !== 0)
          .batch({ size: 1000 })
          .to((b) => {
            sum += b.length;
          })
          .run();
        return sum;
      },
    },
    "tail-async": {
      group: "tail",
      n: N_TAIL_ASYNC,
      run: async () => {
        let sum = 0;
        await p<number>("t")
          .from(range(N_TAIL_ASYNC))
          .map((x) => ({ id: x }))
          .map(async (o) => o.id, { concurrency: 8 })
          .to((x) => {
            sum += x;
          })
          .run();
        return sum;
      },
    },
    array: {
      group: "array",
      n: N_INLINE,
      run: async () => {
        let sum = 0;
        await p<number>("b")
          .from(numbers)
          .map((x) => x * 2)
          .filter((x) => x % 3 !== 0)
          .map((x) => x + 1)
          .to((x) => {
            sum += x;
          })
          .run();
        return sum;
      },
    },
  };
}

const numbers = Array.from({ length: 5_000_000 }, (_, i) => i);
const N_TAIL = 2_000_000;
const tailNumbers = numbers.slice(0, N_TAIL);

/** The hand-written reference of each group. */
const references: Record<string, Case> = {
  async: {
    group: "async",
    n: 1_000_000,
    run: async () => {
      const it = range(1_000_000);
      let done = 0;
      const lane = async (): Promise<void> => {
        for (let x = it.next(); x.done !== true; x = it.next()) {
          await task(x.value);
          done++;
        }
      };
      await Promise.all(Array.from({ length: 64 }, lane));
      return done;
    },
  },
  sink: {
    group: "sink",
    n: 1_000_000,
    run: async () => {
      let count = 0;
      let sum = 0;
      await streamPipeline(
        Readable.from(rows(1_000_000)),
        new Writable({
          objectMode: true,
          highWaterMark: 16,
          write(row: Row, _, cb) {
            sum += row.id + row.payload.length;
            if (++count % 1000 === 0) setImmediate(cb);
            else cb();
          },
        }),
      );
      return sum;
    },
  },
  gen: {
    group: "gen",
    n: 5_000_000,
    run: () => {
      let sum = 0;
      for (const v of range(5_000_000)) {
        const x = v * 2;
        if (x % 3 === 0) continue;
        sum += x + 1;
      }
      return sum;
    },
  },
  array: { group: "array", n: 5_000_000, run: () => 0 },
};
const referenceName: Record<string, string> = {
  async: "raw window of 64 promises",
  sink: "stream.pipeline → Writable",
  gen: "for…of over the generator",
  array: "(none: M items/s)",
};

const cases: Record<string, Case> = {};
for (const [name, c] of Object.entries(references))
  if (name !== "array" && (only === undefined || only.includes(c.group))) cases[`ref:${name}`] = c;
for (const side of ["before", "after"] as const)
  for (const [name, c] of Object.entries(weirCases(pipelines[side])))
    if (only === undefined || only.includes(c.group)) cases[`${side}:${name}`] = c;

const names = Object.keys(cases);
const times = new Map<string, number[]>(names.map((k) => [k, []]));
for (const name of names) for (let w = 0; w < 3; w++) await cases[name]!.run(); // warm-up
for (let r = 0; r < rounds; r++) {
  const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
  for (const name of order) {
    globalThis.gc?.();
    const t = performance.now();
    await cases[name]!.run();
    times.get(name)!.push(performance.now() - t);
  }
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rate = (name: string): number => cases[name]!.n / median(times.get(name)!) / 1e3;
console.log(`| row | before M/s | after M/s | after / before | before × ref | after × ref |`);
console.log(`|---|---:|---:|---:|---:|---:|`);
const groups = [...new Set(Object.values(cases).map((c) => c.group))];
for (const g of groups) {
  const ref = cases[`ref:${g}`] === undefined ? undefined : rate(`ref:${g}`);
  if (ref !== undefined) console.log(`| ${referenceName[g]} (reference) | ${ref.toFixed(2)} | | | | |`);
  for (const name of Object.keys(weirCases(pipelines.after))) {
    if (cases[`after:${name}`]?.group !== g) continue;
    const b = rate(`before:${name}`);
    const a = rate(`after:${name}`);
    const x = (v: number): string => (ref === undefined ? "" : `${(v / ref).toFixed(2)}×`);
    console.log(`| ${name} | ${b.toFixed(2)} | ${a.toFixed(2)} | ${(a / b).toFixed(3)}× | ${x(b)} | ${x(a)} |`);
  }
}
console.log(`median of ${rounds} rounds, rows in rotated order, 3 warm-up calls each; before: ${roots.before}`);
