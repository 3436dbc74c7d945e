/**
 * Before/after in one process for the inline and async paths (issue 14): the rows of
 * `bench/async.ts`, the slow sink of `bench/memory.ts` and the generator and array rows of
 * `bench/inline.ts`, a fused tail feeding a stage below (`tail`: array → map/filter → batch,
 * generator → map → async stage), and fused stages that return a promise for every item (`wait`:
 * a map feeding an async stage, a sink; from an array and from a generator), each run by this checkout and by another copy of weir
 * (`--before <path>`: a folder holding a `src/` of main and the project's `tsconfig.json`, which
 * tsx compiles it by, e.g. `cp -r src tsconfig.json /tmp/base-src/`; a second copy of this same
 * `src/` shows the spread of identical code, which on some rows is not small: bench/README.md,
 * "An outbox in buffers of 4,096"), with the hand-written
 * references they are measured against (a window of promises, `for…of`, stream.pipeline). Every
 * round runs every row once, in rotated order; prints each row's median and its ratio to the
 * reference, before and after. For a machine too busy for the harness's absolute figures.
 *
 * In one process the copy loaded second can run faster by itself (+6-20 % on a 2-core machine,
 * two copies of the same code). `--processes K` runs each side in fresh processes of its own
 * instead, K per side, alternating which goes first, each doing every round of its side's rows
 * and the references; the table then shows, per row, the median over the processes of each
 * process's median, and for a row with a reference its ratio to the reference timed in the same
 * process (median over the processes): the after / before column is then the ratio of those, so
 * a machine that slows down for a while (both sides' rows and references slow alike) moves it less.
 *
 * `--dist` loads each side's built package (`<path>/dist/index.js`, built by `npm run build` there)
 * instead of its sources: the code as a user runs it (the run engines in dist/engines/*.cjs).
 *
 *   node --import tsx bench/ab-flow.ts --before /tmp/base-src [--rounds 7] [--only async,sink,gen,array,tail,wait] [--processes 5] [--dist]
 */
import { Readable, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    rounds: { type: "string" },
    only: { type: "string" },
    processes: { type: "string" },
    dist: { type: "boolean" },
    // a child of --processes: runs one side's rows (and the references), prints their medians as JSON
    side: { type: "string" },
  },
});
if (values.before === undefined) throw new Error("--before <path of the other copy> is required");
const roots = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const rounds = Number(values.rounds ?? 7);
const only = values.only?.split(",");

type Pipeline = typeof pipelineType;
const load = async (root: string): Promise<Pipeline> =>
  (
    (await import(values.dist === true ? `${root}/dist/index.js` : `${root}/src/pipeline/pipeline.ts`)) as {
      pipeline: Pipeline;
    }
  ).pipeline;
const side = values.side as "before" | "after" | undefined;
const processes = values.processes === undefined ? undefined : Number(values.processes);
const sides = side === undefined ? (["before", "after"] as const) : [side];
const pipelines: Partial<Record<"before" | "after", Pipeline>> = {};
if (processes === undefined) for (const s of sides) pipelines[s] = await load(roots[s]);

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
  const N_WAIT = 1_000_000;
  /** A fused map returning a promise per item (not `async`), then a stage of its own below. */
  const waitMap = async (source: Iterable<number>): Promise<number> => {
    let sum = 0;
    await p<number>("w")
      .from(source)
      .map((x) => Promise.resolve(x + 1))
      .to(async (x) => {
        sum += x;
      })
      .run();
    return sum;
  };
  /** A fused sink returning a promise per item (not `async`), every 1,000th waiting for `setImmediate`. */
  const waitSink = async (source: Iterable<number>): Promise<number> => {
    let count = 0;
    let sum = 0;
    await p<number>("w")
      .from(source)
      .to((x) => {
        sum += x;
        return ++count % 1000 === 0 ? immediate() : Promise.resolve();
      })
      .run();
    return sum;
  };
  return {
    "wait-map-array": { group: "wait", n: N_WAIT, run: () => waitMap(waitNumbers) },
    "wait-map-gen": { group: "wait", n: N_WAIT, run: () => waitMap(range(N_WAIT)) },
    "wait-sink-array": { group: "wait", n: N_WAIT, run: () => waitSink(waitNumbers) },
    "wait-sink-gen": { group: "wait", n: N_WAIT, run: () => waitSink(range(N_WAIT)) },
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
const waitNumbers = numbers.slice(0, 1_000_000);

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
for (const s of sides)
  for (const [name, c] of Object.entries(weirCases(pipelines[s] ?? (await load(roots[s])))))
    if (only === undefined || only.includes(c.group)) cases[`${s}:${name}`] = c;

const names = Object.keys(cases);
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
/** Each case's milliseconds: one per round, or with --processes one per process (its median). */
const times = new Map<string, number[]>(names.map((k) => [k, []]));
/** With --processes: each process's rate of a row over its reference's rate in that same process. */
const ratios = new Map<string, number[]>();
if (processes !== undefined) {
  for (let p = 0; p < processes; p++) {
    for (const s of p % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
      const args = [...process.execArgv, new URL(import.meta.url).pathname, "--before", roots.before];
      args.push("--rounds", String(rounds), "--side", s, ...(values.only === undefined ? [] : ["--only", values.only]));
      if (values.dist === true) args.push("--dist");
      const child = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      if (child.status !== 0) throw new Error(`the ${s} process failed (exit ${child.status})`);
      const medians = JSON.parse(child.stdout.trim().split("\n").pop()!) as Record<string, number>;
      for (const [name, ms] of Object.entries(medians)) {
        times.get(name)!.push(ms);
        // against the reference timed in the same process: a machine that slows down for a while slows both
        const ref = medians[`ref:${cases[name]!.group}`];
        if (ref !== undefined && !name.startsWith("ref:")) {
          const ratio = cases[name]!.n / ms / (cases[`ref:${cases[name]!.group}`]!.n / ref);
          (ratios.get(name) ?? ratios.set(name, []).get(name)!).push(ratio);
        }
      }
    }
    process.stderr.write(`processes ${p + 1}/${processes}\n`);
  }
} else {
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
}
if (side !== undefined) {
  console.log(JSON.stringify(Object.fromEntries(names.map((name) => [name, median(times.get(name)!)]))));
  process.exit(0);
}
const rate = (name: string): number => cases[name]!.n / median(times.get(name)!) / 1e3;
console.log(`| row | before M/s | after M/s | after / before | before × ref | after × ref |`);
console.log(`|---|---:|---:|---:|---:|---:|`);
const groups = [...new Set(Object.values(cases).map((c) => c.group))];
for (const g of groups) {
  const ref = cases[`ref:${g}`] === undefined ? undefined : rate(`ref:${g}`);
  if (ref !== undefined) console.log(`| ${referenceName[g]} (reference) | ${ref.toFixed(2)} | | | | |`);
  for (const name of names) {
    if (!name.startsWith("after:") || cases[name]!.group !== g) continue;
    const row = name.slice(6);
    const b = rate(`before:${row}`);
    const a = rate(name);
    // with --processes, a row with a reference is compared through the per-process ratios
    const rb = ratios.has(name) ? median(ratios.get(`before:${row}`)!) : ref === undefined ? undefined : b / ref;
    const ra = ratios.has(name) ? median(ratios.get(name)!) : ref === undefined ? undefined : a / ref;
    const x = (v: number | undefined): string => (v === undefined ? "" : `${v.toFixed(2)}×`);
    const change = rb !== undefined && ra !== undefined ? ra / rb : a / b;
    console.log(`| ${row} | ${b.toFixed(2)} | ${a.toFixed(2)} | ${change.toFixed(3)}× | ${x(rb)} | ${x(ra)} |`);
  }
}
const how =
  processes === undefined
    ? `median of ${rounds} rounds, rows in rotated order, 3 warm-up calls each`
    : `median over ${processes} fresh processes per side (each: the median of ${rounds} rounds)`;
console.log(`${how}; before: ${roots.before}`);
