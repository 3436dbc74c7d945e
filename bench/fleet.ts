/**
 * Fleet stages against BullMQ and a raw batched ioredis floor, on one Redis of the bench's own
 * (a fresh `redis-server` on a free loopback port, no persistence).
 *
 *   node --import tsx bench/fleet.ts                  # everything, median of 3 rounds
 *   node --import tsx bench/fleet.ts --runs 5 --items 1000000 --bullmq-items 50000
 *   node --import tsx bench/fleet.ts --only cpu       # or --only tiny, --only durable
 *   node --import tsx bench/fleet.ts --workers 1,2,4,8,16 --cpu-items 20000   # scaling, one command
 *   node --import tsx bench/fleet.ts --baseline-worker /path/to/other/checkout  # answer-once cost
 *
 * 1. Tiny items (x => x * 2), results back at the origin:
 *    - weir: `fleet()` stage in a pipeline, served by 2 `weir worker` processes;
 *    - BullMQ: a queue (addBulk in chunks of 1,000) and 2 Worker processes at concurrency 100,
 *      timed until every job is completed (fewer jobs by default: it is ~100x slower);
 *    - floor: raw ioredis with the same shape (1,000 items per msgpack entry, 16 entries in
 *      flight, XREADGROUP COUNT 4 BLOCK, one pipelined XADD + XACK per read) and 2 consumers.
 *    Each row also reports Redis' peak `used_memory` above its idle level during the timed run.
 * 2. CPU-bound items (~1 ms of arithmetic each) through a fleet stage: 1 worker process vs 2,
 *    beside the same loop in 1 and 2 plain node processes (what the machine gives at the time).
 * 3. (`--only durable`, not in the default set) tiny items through a fleet stage in a plain run
 *    vs in a durable run (`run({ store: memoryStore() })`: item keys and content digests travel,
 *    checkpoints are taken): what durability, re-attach included, costs a fleet stage.
 * 4. (`--workers 1,2,4,8,16`) scaling: tiny and CPU-bound items through a fleet stage served by
 *    each number of `weir worker` processes, beside the plain loop in as many processes; one
 *    command for a many-core machine. `--cpu-items` should grow with the largest count.
 * 5. (`--baseline-worker <checkout>`) what answer-once costs: tiny items through a fleet stage
 *    served by workers of this checkout vs workers of another (one without the done hash, e.g.
 *    the commit before it), the same origin.
 *
 * Every measurement is a fresh child process (`--contender X`) that starts its own worker
 * processes, warms up, then times one run; rows run in rotated order; each figure is the median.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Packr } from "msgpackr";
import { memoryStore, pipeline } from "../src/index.js";
import { fleet } from "../src/redis.js";
import { startRedis } from "../test/fleet/redisServer.js";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const tasksUrl = new URL("./fleet/tasks.ts", import.meta.url);
const RESULT = "FLEET_BENCH ";

interface Measurement {
  readonly items: number;
  readonly ms: number;
  readonly checksum: number;
  /** Peak Redis used_memory above idle during the timed run, bytes. */
  readonly redisPeak: number;
}

// ---------------------------------------------------------------- child side

/** Starts a helper process and waits for its "serving"/"ready" line on stderr. */
async function helper(args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes(ready)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`helper exited (${code}): ${err}`)));
  });
  return child;
}

const cliEntry = `import { main } from ${JSON.stringify(new URL("../src/cli/main.ts", import.meta.url).href)};
process.exitCode = await main(process.argv.slice(1));`;

/** A `weir worker` of this checkout, or of `checkout` (a directory with src/cli/main.ts). */
function weirWorker(url: string, checkout?: string): Promise<ChildProcess> {
  const entry =
    checkout === undefined
      ? cliEntry
      : `import { main } from ${JSON.stringify(`file://${checkout}/src/cli/main.ts`)};
process.exitCode = await main(process.argv.slice(1));`;
  return helper(["--input-type=module", "-e", entry, "worker", here("./fleet/tasks.ts"), "--redis", url], "serving");
}

/** Samples Redis' used_memory every 20 ms until stopped; resolves with the peak above `base`. */
function sampleMemory(url: string): { stop(): Promise<number> } {
  const client = new Redis(url);
  let peak = 0;
  let base = -1;
  let running = true;
  const loop = (async () => {
    while (running) {
      const info = await client.info("memory");
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      if (base < 0) base = used;
      peak = Math.max(peak, used - base);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      client.disconnect();
      return peak;
    },
  };
}

async function fleetRun(url: string, n: number, exportName: "tiny" | "cpu", durable = false): Promise<number> {
  let sum = 0;
  const store = durable ? memoryStore() : undefined;
  try {
    await pipeline<number>("bench")
      .from(Array.from({ length: n }, (_, i) => i))
      .map(fleet<number, number>(tasksUrl, exportName, { redis: url }))
      .to((x) => void (sum += x))
      .run(store === undefined ? {} : { store });
  } finally {
    await store?.close();
  }
  return sum;
}

async function measureFleet(
  url: string,
  n: number,
  workers: number,
  exportName: "tiny" | "cpu",
  durable = false,
  checkout?: string,
): Promise<Measurement> {
  const procs = await Promise.all(Array.from({ length: workers }, () => weirWorker(url, checkout)));
  try {
    for (let i = 0; i < 3; i++) await fleetRun(url, exportName === "tiny" ? 100_000 : 200, exportName, durable); // warm-up
    const memory = sampleMemory(url);
    const t = performance.now();
    const checksum = await fleetRun(url, n, exportName, durable);
    const ms = performance.now() - t;
    return { items: n, ms, checksum, redisPeak: await memory.stop() };
  } finally {
    for (const p of procs) p.kill("SIGKILL");
  }
}

async function bullmqRun(queue: Queue, n: number, offset: number): Promise<number> {
  const target = offset + n;
  for (let i = 0; i < n; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: "x", data: { x: i + k } }));
    await queue.addBulk(chunk);
  }
  while ((await queue.getCompletedCount()) < target) await new Promise((r) => setTimeout(r, 20));
  return n; // jobs completed (their results stay in Redis, as BullMQ keeps them)
}

async function measureBullmq(url: string, n: number): Promise<Measurement> {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue("bench", { connection: client });
  const procs = await Promise.all(
    [0, 1].map(() => helper([here("./fleet/bullmqWorker.ts"), url, "bench", "100"], "ready")),
  );
  try {
    const warm = 5000;
    await bullmqRun(queue, warm, 0);
    const memory = sampleMemory(url);
    const t = performance.now();
    const checksum = await bullmqRun(queue, n, warm);
    const ms = performance.now() - t;
    return { items: n, ms, checksum, redisPeak: await memory.stop() };
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await queue.close();
    client.disconnect();
  }
}

async function rawRun(client: Redis, reader: Redis, n: number, run: number): Promise<number> {
  const stream = "raw:q";
  const replies = `raw:r:${run}`;
  const packr = (): Packr => new Packr({ sequential: true, mapsAsObjects: false, moreTypes: true });
  const K = 1000;
  const WINDOW = 16;
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let sum = 0;
  let last = "0-0";
  const send = async (): Promise<void> => {
    const p = client.pipeline();
    let count = 0;
    while (inFlight < WINDOW && next < n) {
      const x = Array.from({ length: Math.min(K, n - next) }, (_, k) => next + k);
      p.xaddBuffer(stream, "*", "m", packr().pack({ b: next, r: replies, x }));
      next += x.length;
      inFlight++;
      count++;
    }
    if (count > 0) await p.exec();
  };
  await send();
  while (done < n) {
    const result = (await reader.callBuffer("XREAD", "COUNT", 64, "BLOCK", 1000, "STREAMS", replies, last)) as Array<
      [Buffer, Array<[Buffer, Buffer[]]>]
    > | null;
    if (result === null) continue;
    for (const [, entries] of result) {
      for (const [id, fields] of entries) {
        last = id.toString();
        const body = packr().unpack(fields[1]!) as { v: number[] };
        for (const v of body.v) sum += v;
        done += body.v.length;
        inFlight--;
      }
    }
    void client.xtrim(replies, "MINID", last);
    await send();
  }
  return sum;
}

async function measureRaw(url: string, n: number): Promise<Measurement> {
  const client = new Redis(url);
  const reader = new Redis(url);
  await client.xgroup("CREATE", "raw:q", "raw", "0", "MKSTREAM").catch(() => undefined);
  const procs = await Promise.all(
    ["c1", "c2"].map((c) => helper([here("./fleet/rawConsumer.ts"), url, "raw:q", c], "ready")),
  );
  try {
    for (let i = 0; i < 3; i++) await rawRun(client, reader, 100_000, i);
    const memory = sampleMemory(url);
    const t = performance.now();
    const checksum = await rawRun(client, reader, n, 99);
    const ms = performance.now() - t;
    return { items: n, ms, checksum, redisPeak: await memory.stop() };
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    client.disconnect();
    reader.disconnect();
  }
}

/** `processes` plain node processes running `cpu` over `n` items between them: what the machine gives. */
async function measureLoop(n: number, processes: number): Promise<Measurement> {
  const run = (count: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ["--import", "tsx", here("./fleet/cpuLoop.ts"), String(count)], {
        stdio: "ignore",
      });
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`cpu loop exited ${code}`))));
    });
  await run(200); // warm the file cache and tsx's
  // each process pays its start-up: time it alone and take it off
  const s0 = performance.now();
  await Promise.all(Array.from({ length: processes }, () => run(0)));
  const startup = performance.now() - s0;
  const t = performance.now();
  await Promise.all(Array.from({ length: processes }, () => run(Math.ceil(n / processes))));
  return { items: n, ms: Math.max(1, performance.now() - t - startup), checksum: n, redisPeak: 0 };
}

async function child(contender: string, url: string, items: number, bullmqItems: number, cpuItems: number) {
  let m: Measurement;
  if (contender === "fleet") m = await measureFleet(url, items, 2, "tiny");
  else if (contender === "fleet-durable") m = await measureFleet(url, items, 2, "tiny", true);
  else if (contender === "bullmq") m = await measureBullmq(url, bullmqItems);
  else if (contender === "raw") m = await measureRaw(url, items);
  else if (contender === "cpu-1") m = await measureFleet(url, cpuItems, 1, "cpu");
  else if (contender === "cpu-2") m = await measureFleet(url, cpuItems, 2, "cpu");
  else if (contender === "loop-1") m = await measureLoop(cpuItems, 1);
  else if (contender === "loop-2") m = await measureLoop(cpuItems, 2);
  else if (contender.startsWith("baseline:")) m = await measureFleet(url, items, 2, "tiny", false, contender.slice(9));
  else if (/^(tiny|cpu|loop)-w\d+$/.test(contender)) {
    const [kind, w] = contender.split("-w") as ["tiny" | "cpu" | "loop", string];
    const n = Number(w);
    m =
      kind === "loop"
        ? await measureLoop(cpuItems, n)
        : await measureFleet(url, kind === "tiny" ? items : cpuItems, n, kind);
  } else throw new Error(`unknown contender ${contender}`);
  process.stdout.write(`${RESULT}${JSON.stringify(m)}\n`);
}

// ---------------------------------------------------------------- parent side

function runChild(contender: string, url: string, args: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", here("./fleet.ts"), "--contender", contender, "--redis", url, ...args],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(RESULT));
      if (code !== 0 || line === undefined) reject(new Error(`${contender} failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line.slice(RESULT.length)) as Measurement);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const rate = (m: Measurement): number => (m.items / m.ms) * 1000;
const fmt = (perSecond: number): string =>
  perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)} M`
    : perSecond >= 1e3
      ? `${(perSecond / 1e3).toFixed(1)} k`
      : perSecond.toFixed(0);
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

const ratio = (x: number): string => (x >= 10 ? x.toFixed(0) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

async function parent(
  runs: number,
  items: number,
  bullmqItems: number,
  cpuItems: number,
  only: string | undefined,
  workerCounts: number[] | undefined,
  baseline: string | undefined,
): Promise<void> {
  const redis = await startRedis();
  const flush = new Redis(redis.url);
  const args = ["--items", String(items), "--bullmq-items", String(bullmqItems), "--cpu-items", String(cpuItems)];
  const sets: Record<string, string[]> = {
    tiny: ["fleet", "bullmq", "raw"],
    cpu: ["cpu-1", "cpu-2", "loop-1", "loop-2"],
    durable: ["fleet", "fleet-durable"],
  };
  const groups =
    workerCounts !== undefined
      ? [
          workerCounts.map((n) => `tiny-w${n}`),
          workerCounts.map((n) => `cpu-w${n}`),
          workerCounts.map((n) => `loop-w${n}`),
        ]
      : baseline !== undefined
        ? [["fleet", `baseline:${baseline}`]]
        : only === undefined
          ? [sets["tiny"]!, sets["cpu"]!]
          : [sets[only] ?? sets["tiny"]!];
  const results = new Map<string, Measurement[]>();
  try {
    for (let round = 0; round < runs; round++) {
      for (const group of groups) {
        const order = group.map((_, i) => group[(i + round) % group.length]!);
        for (const c of order) {
          await flush.flushall();
          process.stderr.write(`round ${round + 1}/${runs}: ${c}…`);
          const m = await runChild(c, redis.url, args);
          process.stderr.write(` ${fmt(rate(m))} items/s\n`);
          const list = results.get(c) ?? [];
          list.push(m);
          results.set(c, list);
        }
      }
    }
  } finally {
    flush.disconnect();
    await redis.stop();
  }
  const row = (c: string): Row => {
    const ms = results.get(c)!;
    const rates = ms.map(rate);
    return {
      rate: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
      peak: median(ms.map((m) => m.redisPeak)),
      items: ms[0]!.items,
    };
  };
  console.log(
    `Node ${process.version}, ${availableParallelism()} cores, redis-server on loopback; median of ${runs} rounds, rotated order, warmed up\n`,
  );
  if (workerCounts !== undefined) scaleTable(row, workerCounts);
  else if (baseline !== undefined) baselineTable(row, baseline);
  else if (results.has("fleet-durable")) durableTable(row);
  else if (results.has("fleet")) tinyTable(row);
  if (results.has("cpu-1")) cpuTable(row);
}

type Row = { rate: number; min: number; max: number; peak: number; items: number };

function durableTable(row: (c: string) => Row): void {
  const plain = row("fleet");
  const durable = row("fleet-durable");
  console.log(`### Tiny items through a fleet stage (2 worker processes): plain run vs durable run\n`);
  console.log("| run | items | items/s (median) | min – max | × plain |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, x] of [
    ["plain", plain],
    ["durable (`memoryStore()`)", durable],
  ] as const)
    console.log(
      `| ${name} | ${x.items.toLocaleString("en")} | ${fmt(x.rate)} | ${fmt(x.min)} – ${fmt(x.max)} | ${ratio(x.rate / plain.rate)}× |`,
    );
}

function scaleTable(row: (c: string) => Row, counts: number[]): void {
  const t1 = row(`tiny-w${counts[0]}`);
  const c1 = row(`cpu-w${counts[0]}`);
  const l1 = row(`loop-w${counts[0]}`);
  console.log(
    `### A fleet stage across worker processes (tiny: ${t1.items.toLocaleString("en")} items of x => x * 2; CPU: ${c1.items.toLocaleString("en")} items of ~1 ms)\n`,
  );
  console.log(
    `| workers | tiny items/s (median) | min – max | CPU items/s (median) | min – max | CPU × ${counts[0]} worker${counts[0] === 1 ? "" : "s"} | plain loop, as many processes | loop × ${counts[0]} |`,
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const n of counts) {
    const t = row(`tiny-w${n}`);
    const c = row(`cpu-w${n}`);
    const l = row(`loop-w${n}`);
    console.log(
      `| ${n} | ${fmt(t.rate)} | ${fmt(t.min)} – ${fmt(t.max)} | ${fmt(c.rate)} | ${fmt(c.min)} – ${fmt(c.max)} | ${ratio(c.rate / c1.rate)}× | ${fmt(l.rate)} | ${ratio(l.rate / l1.rate)}× |`,
    );
  }
}

function baselineTable(row: (c: string) => Row, checkout: string): void {
  const now = row("fleet");
  const before = row(`baseline:${checkout}`);
  console.log(`### Tiny items through a fleet stage (2 worker processes): workers of this checkout vs ${checkout}\n`);
  console.log("| workers | items | items/s (median) | min – max | × baseline | Redis peak above idle |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [name, x] of [
    [`baseline (${checkout})`, before],
    ["this checkout", now],
  ] as const)
    console.log(
      `| ${name} | ${x.items.toLocaleString("en")} | ${fmt(x.rate)} | ${fmt(x.min)} – ${fmt(x.max)} | ${ratio(x.rate / before.rate)}× | ${mb(x.peak)} |`,
    );
}

function tinyTable(row: (c: string) => Row): void {
  const f = row("fleet");
  const b = row("bullmq");
  const r = row("raw");
  console.log(`### Tiny items (x => x * 2), 2 worker processes, results back at the origin\n`);
  console.log("| contender | items | items/s (median) | min – max | × floor | × BullMQ | Redis peak above idle |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const line = (name: string, x: Row) =>
    console.log(
      `| ${name} | ${x.items.toLocaleString("en")} | ${fmt(x.rate)} | ${fmt(x.min)} – ${fmt(x.max)} | ${ratio(x.rate / r.rate)}× | ${ratio(x.rate / b.rate)}× | ${mb(x.peak)} |`,
    );
  line("raw batched ioredis (floor)", r);
  line("weir `fleet()` + 2 `weir worker`", f);
  line("BullMQ: queue + 2 workers (concurrency 100)", b);
}

function cpuTable(row: (c: string) => Row): void {
  const c1 = row("cpu-1");
  const c2 = row("cpu-2");
  const l1 = row("loop-1");
  const l2 = row("loop-2");
  console.log(`\n### CPU-bound items (~1 ms each), ${c1.items.toLocaleString("en")} items\n`);
  console.log("| contender | items/s (median) | min – max | speedup 1 → 2 processes |");
  console.log("|---|---:|---:|---:|");
  console.log(`| fleet stage, 1 \`weir worker\` | ${fmt(c1.rate)} | ${fmt(c1.min)} – ${fmt(c1.max)} | |`);
  console.log(
    `| fleet stage, 2 \`weir worker\` | ${fmt(c2.rate)} | ${fmt(c2.min)} – ${fmt(c2.max)} | ${ratio(c2.rate / c1.rate)}× |`,
  );
  console.log(`| plain loop, 1 process (the machine) | ${fmt(l1.rate)} | ${fmt(l1.min)} – ${fmt(l1.max)} | |`);
  console.log(
    `| plain loop, 2 processes (the machine) | ${fmt(l2.rate)} | ${fmt(l2.min)} – ${fmt(l2.max)} | ${ratio(l2.rate / l1.rate)}× |`,
  );
}

const { values } = parseArgs({
  options: {
    contender: { type: "string" },
    redis: { type: "string" },
    runs: { type: "string" },
    items: { type: "string" },
    "bullmq-items": { type: "string" },
    "cpu-items": { type: "string" },
    only: { type: "string" },
    workers: { type: "string" },
    "baseline-worker": { type: "string" },
  },
});
const items = Number(values.items ?? 1_000_000);
const bullmqItems = Number(values["bullmq-items"] ?? 50_000);
const cpuItems = Number(values["cpu-items"] ?? 2000);
if (values.contender !== undefined) {
  await child(values.contender, values.redis!, items, bullmqItems, cpuItems);
  process.exit(0);
} else {
  const counts = values.workers?.split(",").map(Number);
  if (counts !== undefined && (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)))
    throw new Error(`--workers: a list of positive integers (1,2,4), got ${values.workers}`);
  await parent(Number(values.runs ?? 3), items, bullmqItems, cpuItems, values.only, counts, values["baseline-worker"]);
}
