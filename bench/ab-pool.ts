/**
 * Before/after in one process: `pipeline().map(worker())` over 200,000 tiny items (x => x + 1),
 * 2 workers, run by this checkout and by another one (`--before <path>`, e.g. a worktree of
 * main, or a copy of its `src/` beside a `node_modules` link), in rotated order; prints each
 * median and the ratio. For a change to the stage runner or the pool executor, on a machine too
 * busy for absolute figures.
 *
 * Besides wall-clock items/s it prints the main thread's own CPU time per item (Linux: the
 * thread's run time from `/proc/self/task/<pid>/schedstat`), which other jobs on the machine
 * disturb far less than the wall clock: it is the cost the change is about. For a change inside
 * the workers, the process's CPU time per item (every thread: the workers' included) says more.
 *
 *   node --import tsx bench/ab-pool.ts --before ../main [--rounds 5] [--warmup 0] [--mode warm|cold|child] [--timeout-ms 30000]
 *     [--max-items-per-worker 0] [--filter] [--records]
 *
 * `--mode warm` (default): worker threads, the pool kept warm by a keeper executor; `cold`: each
 * run starts and stops its own pool (the public API's default), inside the timed run; `child`:
 * child processes (`child()`), kept warm. `--timeout-ms`: the stage has that `timeoutMs` (its
 * workers time each item); `--max-items-per-worker`: the pool's `maxItemsPerWorker` (0: none);
 * `--filter`: a filter colocated after the stage (half the items go on).
 * `--records`: the items are records (`{ id, name, tags, score }`, as bench/workers.ts's objects
 * sections send) and the stage `touch`es each, where by default they are numbers and it adds one.
 * `--array`: the source is an array of the items, built once, where by default it is a generator.
 * `--floor` (`--mode child`, numbers): the raw batched pipe floor of `bench/workers.ts` (two
 * children of `rawPipe.mjs`, batches of 1,024 as msgpack frames, two in flight a child) runs in
 * the same rotation, and each side's median is given as a share of the floor's: issue 14's row,
 * on a machine whose speed moves more from one invocation to the next than the row does.
 * `--warmup 20`: that many untimed rounds first (both sides, alternated),
 * for the steady state: a fresh process here warms over about 20 runs of 200,000 items
 * (bench/README.md, "How long a fresh process takes to warm").
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { child as childType } from "../src/executor/pool/stage/child.js";
import type { createExecutor as createExecutorType } from "../src/executor/pool/stage/createExecutor.js";
import type { worker as workerType } from "../src/executor/pool/stage/worker.js";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";
import { startRawPipe } from "./rawPipe.js";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    rounds: { type: "string" },
    warmup: { type: "string" },
    mode: { type: "string" },
    "timeout-ms": { type: "string" },
    "max-items-per-worker": { type: "string" },
    filter: { type: "boolean" },
    records: { type: "boolean" },
    floor: { type: "boolean" },
    array: { type: "boolean" },
  },
});
if (values.before === undefined) throw new Error("--before <path of the other checkout> is required");
const mode = values.mode ?? "warm";
if (mode !== "warm" && mode !== "cold" && mode !== "child") throw new Error(`--mode warm|cold|child, not ${mode}`);
const trees = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const N = 200_000;
const rounds = Number(values.rounds ?? 5);
const warmup = Number(values.warmup ?? 0);
if (!Number.isInteger(warmup) || warmup < 0)
  throw new Error(`--warmup: a whole number of rounds, not ${values.warmup}`);
const timeoutMs = values["timeout-ms"] === undefined ? undefined : Number(values["timeout-ms"]);
if (timeoutMs !== undefined && !(timeoutMs > 0))
  throw new Error(`--timeout-ms: a positive number, not ${values["timeout-ms"]}`);
if (values.floor === true && (mode !== "child" || values.records === true || values.filter === true))
  throw new Error(
    "--floor: the raw pipe floor runs numbers through child processes (--mode child, no --records or --filter)",
  );
if (values.records === true && values.filter === true)
  throw new Error("--records: the filter (odd) takes numbers, not with --filter");
const maxItemsPerWorker = Number(values["max-items-per-worker"] ?? 0);
if (!Number.isInteger(maxItemsPerWorker) || maxItemsPerWorker < 0)
  throw new Error(`--max-items-per-worker: a whole number, not ${values["max-items-per-worker"]}`);
const moduleUrl = new URL("../test/fixtures/workers/bench.mjs", import.meta.url);

/** The main thread's CPU time so far in ms (NaN where schedstat is not there). */
function mainCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

interface Side {
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

async function side(root: string): Promise<Side> {
  const { pipeline } = (await import(`${root}/src/pipeline/pipeline.ts`)) as { pipeline: typeof pipelineType };
  const { worker } = (await import(`${root}/src/executor/pool/stage/worker.ts`)) as { worker: typeof workerType };
  const { child } = (await import(`${root}/src/executor/pool/stage/child.ts`)) as { child: typeof childType };
  const { createExecutor } = (await import(`${root}/src/executor/pool/stage/createExecutor.ts`)) as {
    createExecutor: typeof createExecutorType;
  };
  const make = mode === "child" ? child : worker;
  const options = { maxWorkers: 2, minWorkers: 2, maxItemsPerWorker };
  const records = values.records === true;
  const stage = (): ReturnType<typeof workerType<unknown, unknown>> =>
    make<unknown, unknown>(moduleUrl, records ? "touch" : "inc", options);
  const keeper = mode === "cold" ? undefined : createExecutor(stage(), "keeper");
  /** `--array`: each length's items, built once. */
  const arrays = new Map<number, unknown[]>();
  const run = async (n: number): Promise<void> => {
    function* range(): Generator<unknown> {
      if (records) for (let i = 0; i < n; i++) yield { id: i, name: `item-${i}`, tags: ["a", "b"], score: i * 1.5 };
      else for (let i = 0; i < n; i++) yield i;
    }
    const source = values.array === true ? (arrays.get(n) ?? arrays.set(n, [...range()]).get(n)!) : range();
    const settings = { concurrency: 2, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
    let p = pipeline<unknown>("bench")
      .from(source)
      .map(stage(), { name: "w", ...settings });
    // colocated with w (the same module and options): one chain, its items crossing once
    if (values.filter === true)
      p = p.filter(make<unknown, boolean>(moduleUrl, "odd", options), { name: "odd", ...settings });
    const r = await p.run();
    const want = values.filter === true ? Math.ceil(n / 2) : n;
    if (r.stats.w!.out !== want) throw new Error(`${root}: ${r.stats.w!.out} of ${want} items`);
  };
  await run(50_000); // warm-up
  return { run, close: async () => keeper?.close() };
}

/** `bench/workers.ts`'s raw batched pipe floor (`bench/rawPipe.ts`), on two children. */
async function pipeFloor(): Promise<Side> {
  const pipe = startRawPipe(2);
  await pipe.run(50_000);
  return { run: pipe.run, close: pipe.stop };
}

type Key = "before" | "after" | "floor";
const sides: Partial<Record<Key, Side>> = { before: await side(trees.before), after: await side(trees.after) };
if (values.floor === true) sides.floor = await pipeFloor();
const keys = Object.keys(sides) as Key[];
const times: Record<Key, number[]> = { before: [], after: [], floor: [] };
const cpu: Record<Key, number[]> = { before: [], after: [], floor: [] };
/** The process's CPU time (every thread) per run. */
const allCpu: Record<Key, number[]> = { before: [], after: [], floor: [] };
/** Round `r`'s order: each side first in turn, the rest after it. */
const orderOf = (r: number): Key[] => keys.map((_, i) => keys[(r + i) % keys.length]!);
for (let r = 0; r < warmup; r++) for (const k of orderOf(r)) await sides[k]!.run(N);
for (let r = 0; r < rounds; r++) {
  const order = orderOf(r);
  for (const k of order) {
    const c = mainCpuMs();
    const all = process.cpuUsage();
    const t = performance.now();
    await sides[k]!.run(N);
    times[k].push(performance.now() - t);
    cpu[k].push(mainCpuMs() - c);
    const used = process.cpuUsage(all);
    allCpu[k].push((used.user + used.system) / 1e3);
  }
}
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const nsPerItem = (k: Key): number => (median(cpu[k]) * 1e6) / N;
const allNsPerItem = (k: Key): number => (median(allCpu[k]) * 1e6) / N;
console.log(
  `mode ${mode}${timeoutMs === undefined ? "" : `, timeoutMs ${timeoutMs}`}` +
    `${maxItemsPerWorker === 0 ? "" : `, maxItemsPerWorker ${maxItemsPerWorker}`}${values.filter === true ? ", a colocated filter" : ""}, ${N.toLocaleString("en")} ${values.records === true ? "records" : "items"}, ${rounds} rounds` +
    (warmup > 0 ? ` after ${warmup} untimed` : ""),
);
for (const k of keys) {
  const ms = times[k].map((t) => t.toFixed(0)).join(" ");
  const share =
    k !== "floor" && sides.floor !== undefined
      ? `, ${(median(times.floor) / median(times[k])).toFixed(2)}× the floor`
      : "";
  console.log(
    `${k.padEnd(6)} ${(N / median(times[k]) / 1e3).toFixed(2)} M items/s${share}, main thread ${nsPerItem(k).toFixed(0)} ns CPU/item, ` +
      `process ${allNsPerItem(k).toFixed(0)} ns CPU/item (ms: ${ms}) ${k === "floor" ? "raw batched pipe" : trees[k]}`,
  );
}
console.log(
  `after / before: ${(median(times.before) / median(times.after)).toFixed(3)}× items/s, ` +
    `${(nsPerItem("after") / nsPerItem("before")).toFixed(3)}× main-thread CPU per item, ` +
    `${(allNsPerItem("after") / allNsPerItem("before")).toFixed(3)}× process CPU per item (median of ${rounds})`,
);
for (const k of keys) await sides[k]!.close();
