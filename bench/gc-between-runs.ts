/**
 * What a full garbage collection between two runs does to the next run. Most suites here call
 * `gc()` before each timed run (to start every run from the same heap); this bench measures what
 * that costs weir and a peer on the slow-sink row of `bench/memory.ts`: 200,000 objects from a
 * generator into an `async` sink that awaits `setImmediate` every 1,000 items, 20 runs in one
 * process, the median of runs 11-20 (warm), in fresh processes per mode (3 by default, modes
 * interleaved), medians over processes.
 *
 *   node --import tsx bench/gc-between-runs.ts [--processes 3] [--runs 20] [--work sink|async]
 *
 * `--work async` measures the async row of `bench/async.ts` instead (200,000 tasks `async x => x + 1`
 * at concurrency 64, against a raw window of 64 promises in place of stream.pipeline).
 *
 * Modes: no `gc()` between runs; `gc()` before each run; `gc()` before each run with every run
 * kept reachable (its objects live on); and `stream.pipeline` (Readable.from → Writable) with and
 * without `gc()`. `node --trace-deopt` on a child (`--child weir-gc`) shows what the collection
 * does: V8 drops the hidden classes of the dead runs' objects, and the code that relied on them is
 * deoptimized for "weak objects"; the next run starts from colder code. weir's shape anchors
 * (`src/pipeline/shapeAnchors.ts`) keep most of them alive; bench/README.md has the before/after.
 */
import { spawnSync } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pipeline } from "../src/index.js";

interface Row {
  readonly id: number;
  readonly payload: string;
}

const N = 200_000;

function* rows(size: number): Generator<Row> {
  for (let i = 0; i < size; i++) yield { id: i, payload: "x".repeat(32) };
}
const immediate = (): Promise<void> => new Promise((done) => setImmediate(done));
const task = async (x: number): Promise<number> => x + 1;
function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}

const modes = ["weir", "weir-gc", "weir-gc-kept", "stream", "stream-gc"] as const;
type Mode = (typeof modes)[number];
const label: Record<Mode, string> = {
  weir: "weir `.to(async sink)`, no gc() between runs",
  "weir-gc": "weir `.to(async sink)`, gc() before each run",
  "weir-gc-kept": "weir `.to(async sink)`, gc() before each run, every run kept reachable",
  stream: "stream.pipeline → Writable, no gc() between runs",
  "stream-gc": "stream.pipeline → Writable, gc() before each run",
};

/** One run of `mode`: items per second (M). */
async function once(mode: Mode, kept: unknown[]): Promise<number> {
  let count = 0;
  let sum = 0;
  const t = performance.now();
  if (work === "async" && mode.startsWith("weir")) {
    const run = pipeline<number>("async").from(range(N)).map(task, { concurrency: 64 }).run();
    if (mode === "weir-gc-kept") kept.push(run);
    sum = (await run).stats["task"]!.out;
  } else if (work === "async") {
    const it = range(N);
    const lane = async (): Promise<void> => {
      for (let x = it.next(); x.done !== true; x = it.next()) {
        await task(x.value);
        sum++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, lane));
  } else if (mode.startsWith("weir")) {
    const write = async (row: Row): Promise<void> => {
      sum += row.id + row.payload.length;
      if (++count % 1000 === 0) await immediate();
    };
    const run = pipeline<Row>("sink").from(rows(N)).to(write).run();
    if (mode === "weir-gc-kept") kept.push(run);
    await run;
  } else {
    await streamPipeline(
      Readable.from(rows(N)),
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
  }
  if (sum <= 0) throw new Error("nothing reached the sink");
  return N / (performance.now() - t) / 1e3;
}

const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const { values } = parseArgs({
  options: {
    child: { type: "string" },
    processes: { type: "string" },
    runs: { type: "string" },
    work: { type: "string" },
  },
});
const runs = Number(values.runs ?? 20);
const work = values.work ?? "sink";
if (work !== "sink" && work !== "async") throw new Error(`--work: sink or async, not ${work}`);

if (values.child !== undefined) {
  const mode = values.child as Mode;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the child with --expose-gc");
  const kept: unknown[] = [];
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    if (mode.endsWith("gc") || mode === "weir-gc-kept") gc();
    rates.push(await once(mode, kept));
  }
  console.log(JSON.stringify(median(rates.slice(Math.floor(runs / 2)))));
} else {
  const processes = Number(values.processes ?? 3);
  const file = fileURLToPath(import.meta.url);
  const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let p = 0; p < processes; p++) {
    for (const mode of modes) {
      const child = spawnSync(
        process.execPath,
        ["--expose-gc", "--import", "tsx", file, "--child", mode, "--runs", String(runs), "--work", work],
        { encoding: "utf8" },
      );
      if (child.status !== 0) throw new Error(`${mode}: ${child.stderr}`);
      results.get(mode)!.push(Number(child.stdout.trim()));
    }
    process.stderr.write(`process ${p + 1}/${processes}\n`);
  }
  console.log(
    `Node ${process.version}; ${work}: ${N.toLocaleString("en")} items per run, median of runs ${Math.floor(runs / 2) + 1}-${runs}, median of ${processes} processes`,
  );
  console.log("");
  console.log("| mode | M items/s (per process) | median | × same side without gc() |");
  console.log("|---|---|---:|---:|");
  const peer = work === "async" ? "raw window of 64 promises" : "stream.pipeline → Writable";
  const weirRow = work === "async" ? "weir `.map(async, { concurrency: 64 })`" : "weir `.to(async sink)`";
  for (const mode of modes) {
    const all = results.get(mode)!;
    const base = median(results.get(mode.startsWith("weir") ? "weir" : "stream")!);
    console.log(
      `| ${label[mode].replace("weir `.to(async sink)`", weirRow).replace("stream.pipeline → Writable", peer)} | ${all.map((v) => v.toFixed(2)).join(", ")} | ${median(all).toFixed(2)} | ${(median(all) / base).toFixed(2)}× |`,
    );
  }
}
