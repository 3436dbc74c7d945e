/**
 * Worker-thread and child-process stages against their peers, in one process: each contender is
 * warmed up, contenders run in rotated order, each figure is the median of 3 rounds.
 *
 *   node --import tsx bench/workers.ts            # everything
 *   node --import tsx bench/workers.ts tiny       # only the sections whose name contains "tiny"
 *   node --import tsx bench/workers.ts tiny --processes 3   # the same in 3 fresh processes: medians of their medians
 *   node --import tsx bench/workers.ts tiny --only cold      # only the contenders whose name says "cold"
 *   node --import tsx bench/workers.ts tiny --warm-runs 25   # exactly 25 warm-up runs (see below)
 *
 * In the tiny and object sections ({@link STEADY}) every contender, once set up, runs the full item
 * count again until it has run {@link STEADY_RUNS} times or for {@link STEADY_MS} (at least once),
 * before the timed run: the figures are steady-state rates, the same warm-up for weir and its
 * peers. A fresh pool's first runs go at a fraction of that while V8 compiles the workers' code
 * (the "cold pool" rows time a run that starts its own pool). `--warm-runs N` makes it exactly N
 * full runs, however long they take: on a slow machine a fresh process warms over about 20 runs
 * of 200,000 items (bench/README.md, "How long a fresh process takes to warm").
 *
 * 1. 200,000 tiny tasks (x => x + 1) through 2 workers: weir vs Piscina vs Tinypool vs raw
 *    batched postMessage (the floor). Target: >= 2 M items/s. The pipeline() rows run with the
 *    pool kept warm across runs (a keeper executor) and cold (each run starts and stops its own
 *    pool, as the public API does by default); a cold row's "vs floor" is against the cold raw
 *    floor (the same raw workers, started and terminated inside each run).
 * 2. 400 CPU-bound tasks of ~5 ms: speedup over one thread (the main thread running them in a
 *    loop). Target: >= 1.9x on 2 cores.
 * 3. The same two through child processes (weir over msgpack and over IPC, Tinypool's
 *    child_process runtime), the tiny ones beside a raw floor: batches of 1,024 as length-prefixed
 *    msgpack frames over the children's stdin/stdout pipes, two in flight per process (and its
 *    cold form, the children spawned inside each run).
 * 4. Short runs: 100 pipeline runs of 1,000 tiny items each (a pipeline per request), the pool
 *    started in every run or kept warm by `keepWarmMs`, beside one long-lived Piscina pool; and
 *    20 runs of ten ~5 ms items each on warm pools ("slow short runs"), where the balance of a
 *    run's few items over the workers is the whole wall time (Piscina's one task per item is the
 *    floor there).
 * 5. 100,000 string items (a sentence of ~45 characters => its length; text on its way to an
 *    embedding model) through 2 threads and 2 child processes, over the default wire (a batch of
 *    strings crosses in V8's format, the rest as msgpack) and over `wire: "ipc"`, beside Piscina
 *    fed hand-made batches.
 * 6. 2,000 large strings (128 KiB each => its length: a document on its way to be parsed, or
 *    passed on) through `pipeline().map(child())` and `pipeline().map(worker())`, 2 workers,
 *    pools kept warm: items that cost next to nothing to run, so the batch size is bounded by
 *    bytes (a child's frames, about 4 MiB) or by `maxBatchSize` alone (a thread's).
 * 7. (`--scale 2,4,8,16`, for a many-core machine; nothing else runs) each worker count: CPU-bound
 *    5 ms tasks (100 per worker) through worker threads and child processes beside Piscina, as
 *    speedup over the main thread and per worker; tiny tasks beside hand-batched Piscina and the
 *    raw floors.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import { Tinypool } from "tinypool";
import type { Executor } from "../src/executor/Executor.js";
import { child } from "../src/executor/pool/stage/child.js";
import { createExecutor } from "../src/executor/pool/stage/createExecutor.js";
import { worker } from "../src/executor/pool/stage/worker.js";
import { pipeline } from "../src/pipeline/pipeline.js";
import { startRawPipe, type RawPipe } from "./rawPipe.js";
import { closeIdlePools } from "../src/executor/pool/workers/PoolRegistry.js";
import type { PoolExecutor } from "../src/executor/pool/executor/PoolExecutor.js";

/** The main-thread baseline of `cpu5` in test/fixtures/workers/bench.mjs: busy about 5 ms. */
function cpu5(x: number): number {
  const end = performance.now() + 5;
  let n = 0;
  while (performance.now() < end) n++;
  return x + (n > 0 ? 1 : 0);
}

const moduleUrl = new URL("../test/fixtures/workers/bench.mjs", import.meta.url);
const rawUrl = new URL("../test/fixtures/workers/rawBatch.mjs", import.meta.url);
const TINY = 200_000;
const CPU = 400;
const OBJECTS = 100_000;
/** Items in the short-runs sections, all runs together. */
const SHORT = 100_000;
const ROUNDS = 3;
/** Runs in the short-runs sections. */
const RUNS = 100;
/** Runs in the slow short-runs section, and the ~5 ms items in each: fewer than a first batch's 16. */
const SLOW_RUNS = 20;
const SLOW_PER_RUN = 10;
/** `--scale 2,4,8,16`: only the scaling sections, over these worker counts (a many-core machine). */
const scaleAt = process.argv.indexOf("--scale");
const scale = scaleAt < 0 ? undefined : parseCounts(process.argv[scaleAt + 1]);
const processesAt = process.argv.indexOf("--processes");
/** `--processes K`: run the chosen sections in K fresh processes; each figure is the median of theirs. */
const processes = processesAt < 0 ? undefined : Number(process.argv[processesAt + 1]);
if (processes !== undefined && !(Number.isInteger(processes) && processes >= 1))
  throw new Error(`--processes: a positive integer, got ${process.argv[processesAt + 1]}`);
if (scale !== undefined && processes !== undefined) throw new Error("--scale runs in one process: drop --processes");
/** Set in a child of `--processes`: it prints its sections' rows as JSON last. */
const asChild = process.env.WEIR_BENCH_WORKERS_CHILD === "1";
const onlyAt = process.argv.indexOf("--only");
/** `--only cold,floor`: in the chosen sections, only the contenders whose name contains one of these. */
const only = onlyAt < 0 ? undefined : (process.argv[onlyAt + 1] ?? "").split(",").filter((o) => o !== "");
if (only !== undefined && only.length === 0)
  throw new Error("--only: a comma-separated list of words in contender names");
if (only !== undefined && scale !== undefined) throw new Error("--scale runs every worker count's rows: drop --only");
/** Flags followed by a value. */
const warmAt = process.argv.indexOf("--warm-runs");
/** `--warm-runs 25`: exactly this many warm-up runs in the steady sections. */
const warmRuns = warmAt < 0 ? undefined : Number(process.argv[warmAt + 1]);
if (warmRuns !== undefined && !(Number.isInteger(warmRuns) && warmRuns >= 0))
  throw new Error(`--warm-runs: a whole number of runs, got ${process.argv[warmAt + 1]}`);
const VALUED = ["--processes", "--only", "--warm-runs"];
/** Words that pick sections (by title), the flags and their values left out. */
const filters =
  scaleAt < 0 ? process.argv.slice(2).filter((a, i, all) => !VALUED.includes(a) && !VALUED.includes(all[i - 1]!)) : [];
/** Sections timed in the steady state: those whose name starts with one of these. */
const STEADY = ["tiny", "objects", "strings"];
/** Steady-state warm-up: full-size runs until this many… */
const STEADY_RUNS = warmRuns ?? 8;
/** …or until this long was spent warming, whichever comes first. */
const STEADY_MS = warmRuns === undefined ? 1500 : Infinity;

function parseCounts(text: string | undefined): number[] {
  const counts = (text ?? "").split(",").map(Number);
  if (counts.length === 0 || counts.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error(`--scale: a list of positive integers (2,4,8,16), got ${text}`);
  return counts;
}

/** A contender: set up (and warm up), run n items, tear down. */
interface Contender {
  readonly name: string;
  setup(): Promise<void>;
  run(n: number): Promise<void>;
  teardown(): Promise<void>;
}

// ---- weir: a sliding window over execute(), re-reading window() as the runner will ----

/** Items for the object sections: a record like most pipelines carry. */
const record = (i: number): object => ({ id: i, name: `item-${i}`, tags: ["a", "b"], score: i * 1.5 });

/** Items for the string sections: a sentence, as text on its way to an embedding model. */
const sentence = (i: number): string => `a short sentence of text to embed, number ${i}`;

/** The item an export of bench.mjs takes. */
const itemFor = (exportName: string): ((i: number) => unknown) =>
  exportName === "touch" ? record : exportName === "textLength" ? sentence : (i: number): unknown => i;

function drive(
  exec: Executor,
  n: number,
  concurrency: number,
  makeItem: (i: number) => unknown = (i) => i,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const signal = new AbortController().signal;
    let next = 0;
    let done = 0;
    let inFlight = 0;
    let failed = false;
    const settle = {
      resolve: (): void => {
        done++;
        inFlight--;
        if (done === n) resolve();
        else pump();
      },
      reject: (error: unknown): void => {
        if (!failed) reject(error);
        failed = true;
      },
    };
    const pump = (): void => {
      const window = exec.window(concurrency);
      while (inFlight < window && next < n) {
        inFlight++;
        exec.execute({ item: makeItem(next), index: next, attempt: 1, signal }, settle);
        next++;
      }
    };
    pump();
  });
}

function weir(
  name: string,
  make: typeof worker,
  exportName: string,
  workers: number,
  options: Parameters<typeof worker>[2] = {},
): Contender {
  let exec: PoolExecutor | undefined;
  const makeItem = itemFor(exportName);
  return {
    name,
    async setup() {
      exec = createExecutor(
        make(moduleUrl, exportName, { maxWorkers: workers, minWorkers: workers, ...options }),
        exportName,
      );
      await drive(exec, exportName === "cpu5" ? 20 : 50_000, workers, makeItem);
    },
    run: (n) => drive(exec!, n, workers, makeItem),
    async teardown() {
      await exec!.close();
    },
  };
}

/**
 * The same through the public API: `pipeline().from(range).map(worker(...))`, so the stage
 * runner's costs (ordering, stats, timeouts) are in. By default a keeper executor holds the pool
 * (pools are shared by stages with equal options) so every timed run finds its workers warm.
 * With `cold`, there is no keeper, as for a user of the public API: each run (the warm-up
 * included) starts its own pool and stops it before it resolves, inside the timed run.
 */
function weirPipeline(
  name: string,
  make: typeof worker,
  exportName: string,
  workers: number,
  stage: { timeoutMs?: number } = {},
  pool: "warm" | "cold" = "warm",
): Contender {
  let keeper: PoolExecutor | undefined;
  const poolStage = (): ReturnType<typeof worker<number, number>> =>
    make<number, number>(moduleUrl, exportName, { maxWorkers: workers, minWorkers: workers });
  const run = async (n: number): Promise<void> => {
    function* range(): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    const r = await pipeline<number>("bench")
      .from(range())
      .map(poolStage(), { name: "w", concurrency: workers, ...stage })
      .run();
    if (r.stats.w!.out !== n) throw new Error(`${name}: ${r.stats.w!.out} of ${n} items`);
  };
  return {
    name,
    async setup() {
      if (pool === "warm") keeper = createExecutor(poolStage(), "keeper");
      await run(exportName === "cpu5" ? 20 : 50_000);
    },
    run,
    async teardown() {
      await keeper?.close();
      keeper = undefined;
    },
  };
}

/** Items of the large section: 128 KiB of text each. */
const LARGE = 2_000;
const largeText = "x".repeat(128 * 1024);

/**
 * `pipeline().from(LARGE strings of 128 KiB).map(make(textLength))` on `workers` workers kept
 * warm by a keeper executor: large items whose function costs next to nothing.
 */
function weirLarge(name: string, make: typeof worker, workers: number): Contender {
  const poolStage = (): ReturnType<typeof worker<string, number>> =>
    make<string, number>(moduleUrl, "textLength", { maxWorkers: workers, minWorkers: workers });
  const run = async (n: number): Promise<void> => {
    function* texts(): Generator<string> {
      for (let i = 0; i < n; i++) yield largeText;
    }
    const r = await pipeline<string>("bench").from(texts()).map(poolStage(), { name: "w", concurrency: workers }).run();
    if (r.stats.w!.out !== n) throw new Error(`${name}: ${r.stats.w!.out} of ${n} items`);
  };
  return keptWarm(name, poolStage, run, 200);
}

/**
 * A contender whose pool a keeper executor holds warm (pools are shared by stages with equal
 * options): set-up starts the keeper and runs `warmup` items, tear-down closes it.
 */
function keptWarm<I, O>(
  name: string,
  poolStage: () => ReturnType<typeof worker<I, O>>,
  run: (n: number) => Promise<void>,
  warmup: number,
): Contender {
  let keeper: PoolExecutor | undefined;
  return {
    name,
    async setup() {
      keeper = createExecutor(poolStage(), "keeper");
      await run(warmup);
    },
    run,
    async teardown() {
      await keeper?.close();
      keeper = undefined;
    },
  };
}

/**
 * `pipeline().mapBatch(worker(incBatch), { size: 1024 })`: the same items, batched by the
 * pipeline, each batch given whole to the pool's `incBatch` (one call per batch in the worker),
 * its results flattened back into items. The pool is kept warm by a keeper executor, as above.
 */
function weirMapBatch(name: string, make: typeof worker, workers: number): Contender {
  const poolStage = (): ReturnType<typeof worker<number[], number[]>> =>
    make<number[], number[]>(moduleUrl, "incBatch", { maxWorkers: workers, minWorkers: workers });
  const run = async (n: number): Promise<void> => {
    function* range(): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    const r = await pipeline<number>("bench")
      .from(range())
      .mapBatch(poolStage(), { size: 1024, name: "w", concurrency: workers })
      .run();
    if (r.stats.w!.out !== n) throw new Error(`${name}: ${r.stats.w!.out} of ${n} items`);
  };
  return keptWarm(name, poolStage, run, 50_000);
}

// ---- Piscina and Tinypool: one task per item, a window of 1,000 tasks in flight ----

async function windowed(n: number, window: number, runOne: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane));
}

/**
 * Many short runs (a pipeline per request): `runs` runs of `n / runs` items each (`exportName`,
 * tiny `inc` by default) through the public API, the pool either started and stopped in every run
 * (the default) or kept warm between runs by `keepWarmMs` (closed in teardown).
 */
function shortRuns(name: string, make: typeof worker, keepWarm: boolean, exportName = "inc", runs = RUNS): Contender {
  const options = { maxWorkers: 2, minWorkers: 2, ...(keepWarm ? { keepWarmMs: 60_000 } : {}) };
  const run = async (n: number): Promise<void> => {
    const per = n / runs;
    for (let r = 0; r < runs; r++) {
      const res = await pipeline<number>("request")
        .from(Array.from({ length: per }, (_, i) => i))
        .map(make<number, number>(moduleUrl, exportName, options), { name: "w", concurrency: 2 })
        .run();
      if (res.stats.w!.out !== per) throw new Error(`${name}: ${res.stats.w!.out} of ${per} items`);
    }
  };
  return {
    name,
    async setup() {
      await run(runs * (exportName === "inc" ? 10 : 1));
    },
    run,
    async teardown() {
      await closeIdlePools();
    },
  };
}

/** Piscina's pool lives across "runs" by construction: `runs` windows of n / runs tasks. */
function piscinaShortRuns(name: string, exportName = "inc", runs = RUNS): Contender {
  let pool: Piscina | undefined;
  const run = async (n: number): Promise<void> => {
    for (let r = 0; r < runs; r++) await windowed(n / runs, 1000, (i) => pool!.run(i, { name: exportName }));
  };
  return {
    name,
    async setup() {
      pool = new Piscina({ filename: moduleUrl.href, minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
      await run(runs * (exportName === "inc" ? 10 : 1));
    },
    run,
    async teardown() {
      await pool!.destroy();
    },
  };
}

function piscina(name: string, exportName: string, threads: number, batch = 0): Contender {
  let pool: Piscina | undefined;
  const run = (n: number): Promise<void> => {
    if (batch === 0) return windowed(n, 1000, (i) => pool!.run(i, { name: exportName }));
    const batches = Math.ceil(n / batch);
    const xs = Array.from({ length: batch }, (_, i) => itemFor(exportName)(i));
    return windowed(batches, threads * 2, () => pool!.run(xs, { name: `${exportName}Batch` }));
  };
  return {
    name,
    async setup() {
      pool = new Piscina({ filename: moduleUrl.href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
      await run(exportName === "inc" ? 5_000 : 20);
    },
    run,
    async teardown() {
      await pool!.destroy();
    },
  };
}

function tinypool(
  name: string,
  exportName: string,
  workers: number,
  runtime: "worker_threads" | "child_process",
): Contender {
  let pool: Tinypool | undefined;
  const makeItem = itemFor(exportName);
  const run = (n: number): Promise<void> => windowed(n, 1000, (i) => pool!.run(makeItem(i), { name: exportName }));
  return {
    name,
    async setup() {
      pool = new Tinypool({
        filename: moduleUrl.href,
        minThreads: workers,
        maxThreads: workers,
        runtime,
        isolateWorkers: false,
      });
      await run(exportName === "inc" ? 5_000 : 20);
    },
    run,
    async teardown() {
      await pool!.destroy();
    },
  };
}

// ---- raw floors: batched postMessage (tiny), a pull-based pool (CPU) ----

/**
 * The floor for thread messaging: `threads` raw workers (`rawBatch.mjs`), batches of 1,024 numbers
 * by postMessage (or, with `cpu`, one 5 ms task per message), two in flight per worker. With
 * `cold`, each run (the warm-up included) starts its workers and terminates them before it
 * resolves, as the cold weir rows do: the least a pool started inside the run can cost.
 */
function raw(name: string, mode: "batch" | "cpu", threads: number, pool: "warm" | "cold" = "warm"): Contender {
  let workers: Worker[] = [];
  const start = (): void => {
    // no flags: under `node --import tsx` a thread would inherit the loader (twice as slow to
    // start), where weir's threads start with none
    workers = Array.from({ length: threads }, () => new Worker(rawUrl, { execArgv: [] }));
  };
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  const runOn = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      let next = 0;
      let done = 0;
      let id = 0;
      const size = mode === "batch" ? 1024 : 1;
      const send = (w: Worker): void => {
        if (next >= n) return;
        const count = Math.min(size, n - next);
        if (mode === "cpu") w.postMessage({ cpu: true, id: id++, x: next });
        else w.postMessage({ id: id++, xs: Array.from({ length: count }, (_, i) => next + i) });
        next += count;
      };
      for (const w of workers) {
        w.removeAllListeners("message");
        w.on("message", (m: { v: unknown }) => {
          done += Array.isArray(m.v) ? m.v.length : 1;
          if (done === n) resolve();
          else send(w);
        });
        send(w);
        send(w); // two in flight per worker
      }
    });
  return floor(name, pool, start, stop, runOn, mode === "batch" ? 50_000 : 20);
}

/**
 * The floor for child processes: `processes` children of `rawPipe.mjs` (`bench/rawPipe.ts`),
 * batches of 1,024 numbers as `[u32 length][msgpack]` frames over stdin, replies the same way over
 * stdout, two batches in flight per child. No pool, no ordering, no bookkeeping: what a process
 * hop costs at the least. With `cold`, each run spawns its children and waits for them to exit
 * before it resolves.
 */
function rawPipe(name: string, processes: number, pool: "warm" | "cold" = "warm"): Contender {
  let pipe: RawPipe | undefined;
  const start = (): void => {
    pipe = startRawPipe(processes);
  };
  const stop = async (): Promise<void> => {
    await pipe?.stop();
    pipe = undefined;
  };
  return floor(name, pool, start, stop, (n) => pipe!.run(n), 50_000);
}

/**
 * A raw floor as a contender: `start` brings its workers up, `stop` ends them, `runOn` runs n
 * items through them. Warm: started in set-up (which runs `warmup` items), stopped in tear-down.
 * Cold: every run (the set-up's included) starts them and stops them before it resolves.
 */
function floor(
  name: string,
  pool: "warm" | "cold",
  start: () => void,
  stop: () => Promise<void>,
  runOn: (n: number) => Promise<void>,
  warmup: number,
): Contender {
  const run =
    pool === "warm"
      ? runOn
      : async (n: number): Promise<void> => {
          start();
          try {
            await runOn(n);
          } finally {
            await stop();
          }
        };
  return {
    name,
    async setup() {
      if (pool === "warm") start();
      await run(warmup);
    },
    run,
    async teardown() {
      if (pool === "warm") await stop();
    },
  };
}

function mainThread(name: string): Contender {
  return {
    name,
    async setup() {
      for (let i = 0; i < 20; i++) cpu5(i);
    },
    async run(n) {
      for (let i = 0; i < n; i++) cpu5(i);
    },
    async teardown() {},
  };
}

// ---- measurement ----

interface Row {
  readonly name: string;
  readonly ms: number;
}

/** With `--processes`: each section's rows from every child process, by section title. */
const fromChildren = processes === undefined ? undefined : runChildren(processes);

/** Runs this script `k` times in fresh processes (same sections); their rows by section title. */
function runChildren(k: number): Map<string, Row[][]> {
  const bySection = new Map<string, Row[][]>();
  for (let p = 0; p < k; p++) {
    const args = [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...filters,
      ...(only === undefined ? [] : ["--only", only.join(",")]),
      ...(warmRuns === undefined ? [] : ["--warm-runs", String(warmRuns)]),
    ];
    const child = spawnSync(process.execPath, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, WEIR_BENCH_WORKERS_CHILD: "1" },
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`bench process ${p + 1} of ${k} failed (exit ${child.status})`);
    const sections = JSON.parse(child.stdout.trim().split("\n").pop()!) as Record<string, Row[]>;
    for (const [title, rows] of Object.entries(sections))
      (bySection.get(title) ?? bySection.set(title, []).get(title)!).push(rows);
    process.stderr.write(`processes ${p + 1}/${k}\n`);
  }
  return bySection;
}

/** In a child of `--processes`: the rows measured so far, by section title. */
const measured: Record<string, Row[]> = {};

async function section(title: string, n: number, all: Contender[]): Promise<Row[] | undefined> {
  if (scale !== undefined || (filters.length > 0 && !filters.some((f) => title.includes(f)))) return undefined;
  const contenders = only === undefined ? all : all.filter((c) => only.some((o) => c.name.includes(o)));
  if (contenders.length === 0) return undefined;
  if (fromChildren !== undefined) {
    const runs = fromChildren.get(title);
    if (runs === undefined) return undefined;
    // each contender's median over the processes (each figure already a process's median)
    return contenders.map((c) => {
      const sorted = runs.map((rows) => rows.find((r) => r.name === c.name)!.ms).sort((a, b) => a - b);
      return { name: c.name, ms: sorted[Math.floor(sorted.length / 2)]! };
    });
  }
  const rows = await measure(
    n,
    contenders,
    STEADY.some((s) => title.startsWith(s)),
  );
  if (asChild) measured[title] = rows;
  return rows;
}

/**
 * Each contender's median over `ROUNDS` rounds in rotated order, set up and torn down in each.
 * `steady`: before its timed run, a contender runs `n` items again until {@link STEADY_RUNS} runs
 * or {@link STEADY_MS} of them (at least one), so the figure is its steady-state rate.
 */
async function measure(n: number, contenders: Contender[], steady = false): Promise<Row[]> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const c of order) {
      await c.setup();
      if (steady) {
        const warmFrom = performance.now();
        for (let w = 0; w < STEADY_RUNS && (w === 0 || performance.now() - warmFrom < STEADY_MS); w++) await c.run(n);
      }
      const t0 = performance.now();
      await c.run(n);
      times.get(c.name)!.push(performance.now() - t0);
      await c.teardown();
    }
  }
  return contenders.map((c) => {
    const sorted = [...times.get(c.name)!].sort((a, b) => a - b);
    return { name: c.name, ms: sorted[Math.floor(sorted.length / 2)]! };
  });
}

function fmtRate(n: number, ms: number): string {
  const perSec = (n / ms) * 1000;
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  return perSec >= 1e4 ? `${(perSec / 1e3).toFixed(1)} k/s` : `${perSec.toFixed(0)}/s`;
}

/**
 * A tiny section's table. "vs floor" is against `floor`, or for a row whose name says "cold"
 * (a pool started inside the run), against `coldFloor`.
 */
function printTiny(
  title: string,
  n: number,
  rows: Row[] | undefined,
  floor: string,
  peers: string[],
  coldFloor?: string,
): void {
  if (rows === undefined) return;
  const get = (name: string): Row | undefined => rows.find((r) => r.name === name);
  const best = peers
    .map(get)
    .filter((r): r is Row => r !== undefined)
    .sort((a, b) => a.ms - b.ms)[0];
  const warm = get(floor);
  const cold = coldFloor === undefined ? undefined : get(coldFloor);
  console.log(`\n### ${title}\n`);
  console.log("| contender | median ms | items/s | vs floor | vs best peer |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows) {
    const limit = cold !== undefined && r.name.includes("cold") ? cold : warm;
    const vsFloor = limit === undefined ? "" : `${(limit.ms / r.ms).toFixed(2)}x`;
    const vsPeer = best === undefined ? "" : `${(best.ms / r.ms).toFixed(2)}x`;
    console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${fmtRate(n, r.ms)} | ${vsFloor} | ${vsPeer} |`);
  }
}

function printCpu(title: string, n: number, rows: Row[] | undefined, baseline: string): void {
  if (rows === undefined) return;
  const base = rows.find((r) => r.name === baseline)!;
  console.log(`\n### ${title}\n`);
  console.log("| contender | median ms | tasks/s | speedup over one thread |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows)
    console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${fmtRate(n, r.ms)} | ${(base.ms / r.ms).toFixed(2)}x |`);
}

console.log(
  `node ${process.version}, ${(await import("node:os")).availableParallelism()} cores; ` +
    (processes === undefined
      ? `median of ${ROUNDS}, rotated order, warmed up`
      : `median over ${processes} fresh processes (each the median of ${ROUNDS} rounds), rotated order, warmed up`) +
    (warmRuns === undefined
      ? `; tiny and object rows: steady state (up to ${STEADY_RUNS} full runs or ${STEADY_MS} ms of warm-up before each timed run)`
      : `; tiny and object rows: steady state (${STEADY_RUNS} full runs of warm-up before each timed run)`),
);

printTiny(
  `${TINY.toLocaleString("en")} tiny tasks (x => x + 1), 2 worker threads`,
  TINY,
  await section("tiny threads", TINY, [
    weir("weir worker() executor", worker, "inc", 2),
    weirPipeline("weir pipeline().map(worker())", worker, "inc", 2),
    weirPipeline("weir pipeline().map(worker(), { timeoutMs })", worker, "inc", 2, { timeoutMs: 30_000 }),
    weirPipeline("weir pipeline().map(worker()), cold pool (started in the run)", worker, "inc", 2, {}, "cold"),
    weirMapBatch("weir pipeline().mapBatch(worker(incBatch), { size: 1024 })", worker, 2),
    piscina("Piscina (1 task per item)", "inc", 2),
    tinypool("Tinypool (1 task per item)", "inc", 2, "worker_threads"),
    piscina("Piscina (batches of 1024, by hand)", "inc", 2, 1024),
    raw("raw batched postMessage (floor)", "batch", 2),
    raw("raw batched postMessage, cold (2 bare threads started in the run)", "batch", 2, "cold"),
  ]),
  "raw batched postMessage (floor)",
  ["Piscina (1 task per item)", "Tinypool (1 task per item)"],
  "raw batched postMessage, cold (2 bare threads started in the run)",
);

printCpu(
  `${CPU} CPU-bound tasks of ~5 ms, 2 worker threads`,
  CPU,
  await section("cpu threads", CPU, [
    mainThread("main thread loop (one thread)"),
    weir("weir worker(), 1 thread", worker, "cpu5", 1),
    weir("weir worker(), 2 threads", worker, "cpu5", 2),
    weirPipeline("weir pipeline().map(worker()), 2 threads", worker, "cpu5", 2),
    piscina("Piscina, 2 threads", "cpu5", 2),
    tinypool("Tinypool, 2 threads", "cpu5", 2, "worker_threads"),
    raw("raw pull-based pool, 2 threads", "cpu", 2),
  ]),
  "main thread loop (one thread)",
);

printTiny(
  `${TINY.toLocaleString("en")} tiny tasks (x => x + 1), 2 child processes`,
  TINY,
  await section("tiny processes", TINY, [
    weir("weir child(), msgpack frames", child, "inc", 2, { wire: "msgpack" }),
    weir('weir child(), wire: "ipc" (V8 frames)', child, "inc", 2, { wire: "ipc" }),
    weirPipeline("weir pipeline().map(child()), msgpack", child, "inc", 2),
    weirPipeline("weir pipeline().map(child()), msgpack, cold pool (started in the run)", child, "inc", 2, {}, "cold"),
    weirMapBatch("weir pipeline().mapBatch(child(incBatch), { size: 1024 })", child, 2),
    tinypool("Tinypool child_process (1 task per item)", "inc", 2, "child_process"),
    rawPipe("raw batched pipe, msgpack frames (floor)", 2),
    rawPipe("raw batched pipe, cold (2 bare processes started in the run)", 2, "cold"),
  ]),
  "raw batched pipe, msgpack frames (floor)",
  ["Tinypool child_process (1 task per item)"],
  "raw batched pipe, cold (2 bare processes started in the run)",
);

printTiny(
  `${RUNS} runs of ${(SHORT / RUNS).toLocaleString("en")} tiny tasks each (a pipeline per request), 2 workers`,
  SHORT,
  await section("short runs", SHORT, [
    shortRuns("weir worker(), pool started in each run", worker, false),
    shortRuns("weir worker(), keepWarmMs", worker, true),
    shortRuns("weir child(), pool started in each run", child, false),
    shortRuns("weir child(), keepWarmMs", child, true),
    piscinaShortRuns("Piscina, one pool for all runs (1 task per item)"),
  ]),
  "weir worker(), keepWarmMs",
  ["Piscina, one pool for all runs (1 task per item)"],
);

printTiny(
  `${SLOW_RUNS} runs of ${SLOW_PER_RUN} CPU-bound ~5 ms tasks each (a pipeline per request), 2 workers`,
  SLOW_RUNS * SLOW_PER_RUN,
  await section("slow short runs", SLOW_RUNS * SLOW_PER_RUN, [
    shortRuns("weir worker(), keepWarmMs", worker, true, "cpu5", SLOW_RUNS),
    shortRuns("weir child(), keepWarmMs", child, true, "cpu5", SLOW_RUNS),
    piscinaShortRuns("Piscina, one pool for all runs (1 task per item)", "cpu5", SLOW_RUNS),
  ]),
  "Piscina, one pool for all runs (1 task per item)",
  ["Piscina, one pool for all runs (1 task per item)"],
);

printTiny(
  `${OBJECTS.toLocaleString("en")} object items ({ id, name, tags, score } => score + 1), 2 child processes`,
  OBJECTS,
  await section("objects processes", OBJECTS, [
    weir("weir child(), msgpack frames", child, "touch", 2, { wire: "msgpack" }),
    weir('weir child(), wire: "ipc" (V8 frames)', child, "touch", 2, { wire: "ipc" }),
    weir("weir worker() (threads, for reference)", worker, "touch", 2),
  ]),
  "weir child(), msgpack frames",
  [],
);

printTiny(
  `${OBJECTS.toLocaleString("en")} object items ({ id, name, tags, score } => { ...o, score: score + 1 }), 2 worker threads`,
  OBJECTS,
  await section("objects threads", OBJECTS, [
    weir("weir worker(), msgpack frames (default)", worker, "touch", 2, { wire: "msgpack" }),
    weir("weir worker(), structured clone (wire: ipc)", worker, "touch", 2, { wire: "ipc" }),
    piscina("Piscina (batches of 1024 by hand, structured clone)", "touch", 2, 1024),
  ]),
  "weir worker(), msgpack frames (default)",
  ["Piscina (batches of 1024 by hand, structured clone)"],
);

printTiny(
  `${OBJECTS.toLocaleString("en")} string items (a sentence => its length), 2 worker threads`,
  OBJECTS,
  await section("strings threads", OBJECTS, [
    weir("weir worker(), default wire (strings in V8's format)", worker, "textLength", 2),
    weir("weir worker(), structured clone (wire: ipc)", worker, "textLength", 2, { wire: "ipc" }),
    piscina("Piscina (batches of 1024 by hand, structured clone)", "textLength", 2, 1024),
  ]),
  "weir worker(), default wire (strings in V8's format)",
  ["Piscina (batches of 1024 by hand, structured clone)"],
);

printTiny(
  `${OBJECTS.toLocaleString("en")} string items (a sentence => its length), 2 child processes`,
  OBJECTS,
  await section("strings processes", OBJECTS, [
    weir("weir child(), default wire (strings in V8's format)", child, "textLength", 2),
    weir('weir child(), wire: "ipc" (V8 frames)', child, "textLength", 2, { wire: "ipc" }),
  ]),
  "weir child(), default wire (strings in V8's format)",
  [],
);

printTiny(
  `${LARGE.toLocaleString("en")} large strings (128 KiB => its length), 2 workers, warm pools`,
  LARGE,
  await section("large strings", LARGE, [
    weirLarge("weir pipeline().map(child())", child, 2),
    weirLarge("weir pipeline().map(worker())", worker, 2),
  ]),
  "weir pipeline().map(child())",
  [],
);

printCpu(
  `${CPU} CPU-bound tasks of ~5 ms, 2 child processes`,
  CPU,
  await section("cpu processes", CPU, [
    mainThread("main thread loop (one thread)"),
    weir("weir child(), 2 processes, msgpack", child, "cpu5", 2, { wire: "msgpack" }),
    weir('weir child(), 2 processes, wire: "ipc"', child, "cpu5", 2, { wire: "ipc" }),
    weirPipeline("weir pipeline().map(child()), 2 processes", child, "cpu5", 2),
    tinypool("Tinypool child_process, 2 processes", "cpu5", 2, "child_process"),
  ]),
  "main thread loop (one thread)",
);

if (scale !== undefined) {
  const perWorker = 100;
  const [base] = await measure(perWorker, [mainThread("main thread loop (one thread)")]);
  const basePerTask = base!.ms / perWorker;
  console.log(`\n### ${perWorker} CPU-bound tasks of ~5 ms per worker: speedup over one thread\n`);
  console.log(`main thread: ${basePerTask.toFixed(2)} ms per task\n`);
  console.log("| workers | contender | tasks | median ms | tasks/s | speedup | speedup per worker |");
  console.log("|---:|---|---:|---:|---:|---:|---:|");
  for (const n of scale) {
    const tasks = perWorker * n;
    const rows = await measure(tasks, [
      weirPipeline(`weir pipeline().map(worker())`, worker, "cpu5", n),
      weirPipeline(`weir pipeline().map(child())`, child, "cpu5", n),
      piscina(`Piscina`, "cpu5", n),
    ]);
    for (const r of rows) {
      const speedup = (basePerTask * tasks) / r.ms;
      console.log(
        `| ${n} | ${r.name} | ${tasks} | ${r.ms.toFixed(1)} | ${fmtRate(tasks, r.ms)} | ${speedup.toFixed(2)}x | ${(speedup / n).toFixed(2)} |`,
      );
    }
  }
  console.log(`\n### ${TINY.toLocaleString("en")} tiny tasks (x => x + 1) per worker count\n`);
  console.log("| workers | contender | median ms | items/s | vs Piscina batched |");
  console.log("|---:|---|---:|---:|---:|");
  for (const n of scale) {
    const rows = await measure(
      TINY,
      [
        weirPipeline("weir pipeline().map(worker())", worker, "inc", n),
        weirPipeline("weir pipeline().map(child())", child, "inc", n),
        piscina("Piscina (batches of 1024, by hand)", "inc", n, 1024),
        raw("raw batched postMessage (floor)", "batch", n),
        rawPipe("raw batched pipe, msgpack (floor)", n),
      ],
      true,
    );
    const batched = rows.find((r) => r.name.startsWith("Piscina (batches"))!;
    for (const r of rows)
      console.log(
        `| ${n} | ${r.name} | ${r.ms.toFixed(1)} | ${fmtRate(TINY, r.ms)} | ${(batched.ms / r.ms).toFixed(2)}x |`,
      );
  }
}

if (asChild) console.log(JSON.stringify(measured));
