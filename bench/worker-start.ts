/**
 * What one worker of a pool costs to start, from the built package (dist/, what users run): the
 * first result of a pool of one worker thread, and of one child process, started inside a run
 * (`pipeline().from([0, 1]).map(worker(…))`), its result an object (which crosses as msgpack);
 * the same for a thread whose items and results are numbers (`inc`: no msgpack crosses, so the
 * thread never loads msgpackr); and what a child weighs, read by the run's second
 * item {@link SETTLE_MS} after its first: the child's RSS, its process group's (the child and what it
 * started: weir's watchdog) and its threads. A bare `node` reading the same is the reference.
 *
 * Each side runs in fresh processes, alternated with `--before`'s when given; each process times
 * {@link SAMPLES} runs of each kind and reports medians; the table holds the medians over processes.
 * Linux (threads and RSS are read from /proc and `ps`).
 *
 *   npm run build && node --import tsx bench/worker-start.ts [--processes 4]
 *   node --import tsx bench/worker-start.ts --before /tmp/wt-before   # a built checkout to compare with
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** How long after its first item the child's footprint is read. */
const SETTLE_MS = 500;
/** Runs of each kind in one process. */
const SAMPLES = 7;

const { values } = parseArgs({
  options: { processes: { type: "string", default: "4" }, before: { type: "string" } },
});
const processes = Number(values.processes);
if (!(Number.isInteger(processes) && processes >= 1))
  throw new Error(`--processes: a positive integer, got ${values.processes}`);

const here = fileURLToPath(new URL("..", import.meta.url));
const fixture = new URL("../test/fixtures/workers/bench.mjs", import.meta.url).href;
const sides: Array<[string, string]> = [["this checkout", here]];
if (values.before !== undefined) sides.unshift(["--before", values.before]);
for (const [, dir] of sides) {
  if (!existsSync(join(dir, "dist/index.js"))) throw new Error(`${dir}: no dist/index.js (run npm run build there)`);
}

/** One process's medians. */
interface Reading {
  readonly threadFirstMs: number;
  readonly threadNumbersFirstMs: number;
  readonly childFirstMs: number;
  readonly rssMb: number;
  readonly groupRssMb: number;
  readonly threads: number;
}

// the process that measures one side: argv[1] is the checkout, argv[2] the fixture
const script = `
const { pipeline, worker, child } = await import(process.argv[1] + "/dist/index.js");
const { spawnSync } = await import("node:child_process");
const fixture = process.argv[2];
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function groupRssMb(pgid) {
  let kb = 0;
  for (const line of spawnSync("ps", ["-eo", "pgid=,rss="], { encoding: "utf8" }).stdout.split("\\n")) {
    const [group, rss] = line.trim().split(/\\s+/).map(Number);
    if (group === pgid) kb += rss;
  }
  return kb / 1024;
}
async function sample(make) {
  const start = performance.now();
  let firstMs = 0;
  let group = 0;
  const read = [];
  async function* items() {
    yield 0;
    while (firstMs === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, ${SETTLE_MS}));
    yield 1;
  }
  await pipeline("start")
    .from(items)
    .map(make(fixture, "footprint", { maxWorkers: 1 }))
    .to((f) => {
      if (firstMs === 0) firstMs = performance.now() - start;
      else if (make === child) group = groupRssMb(f.pid);
      read.push(f);
    })
    .run();
  return { firstMs, rssMb: read[1].rssMb, threads: read[1].threads, groupRssMb: group };
}
/** The first result of a fresh thread given numbers and answering numbers (msgpackr never needed there). */
async function numbersFirst() {
  const start = performance.now();
  let firstMs = 0;
  await pipeline("start-numbers")
    .from([0, 1])
    .map(worker(fixture, "inc", { maxWorkers: 1 }))
    .to(() => {
      if (firstMs === 0) firstMs = performance.now() - start;
    })
    .run();
  return firstMs;
}
const threads = [];
const numbers = [];
const children = [];
for (let i = 0; i < ${SAMPLES}; i++) {
  threads.push(await sample(worker));
  numbers.push(await numbersFirst());
  children.push(await sample(child));
}
process.stdout.write(JSON.stringify({
  threadFirstMs: median(threads.map((s) => s.firstMs)),
  threadNumbersFirstMs: median(numbers),
  childFirstMs: median(children.map((s) => s.firstMs)),
  rssMb: median(children.map((s) => s.rssMb)),
  groupRssMb: median(children.map((s) => s.groupRssMb)),
  threads: median(children.map((s) => s.threads)),
}));`;

/** A bare `node` reading its RSS and threads as the fixture does. */
function bareNode(): { rssMb: number; threads: number } {
  const code = `const t = /^Threads:\\s+(\\d+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"));
process.stdout.write(JSON.stringify({ rssMb: process.memoryUsage().rss / 1048576, threads: Number(t[1]) }));`;
  const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bare node: ${r.stderr}`);
  return JSON.parse(r.stdout) as { rssMb: number; threads: number };
}

const readings = new Map<string, Reading[]>(sides.map(([name]) => [name, []]));
for (let p = 0; p < processes; p++) {
  const order = p % 2 === 0 ? sides : [...sides].reverse();
  for (const [name, dir] of order) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, dir, fixture], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    readings.get(name)!.push(JSON.parse(r.stdout) as Reading);
    process.stderr.write(`  [${p + 1}/${processes}] ${name}: ${r.stdout}\n`);
  }
}
const bare = bareNode();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const cell = (rows: Reading[], key: keyof Reading, digits: number): string => {
  const xs = rows.map((r) => r[key]);
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
};
console.log(
  `\n### One worker of a pool started in a run (Node ${process.versions.node}; medians over ${processes} processes, each the median of ${SAMPLES} runs)\n`,
);
console.log(
  "| side | thread: first result ms | thread of numbers: first result ms | child: first result ms | child RSS MiB | its group's RSS MiB | child threads |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const [name] of sides) {
  const rows = readings.get(name)!;
  console.log(
    `| ${name} | ${cell(rows, "threadFirstMs", 1)} | ${cell(rows, "threadNumbersFirstMs", 1)} | ${cell(rows, "childFirstMs", 1)} | ${cell(rows, "rssMb", 1)} | ${cell(rows, "groupRssMb", 1)} | ${median(rows.map((r) => r.threads))} |`,
  );
}
console.log(
  `| a bare \`node -e\` | – | – | – | ${bare.rssMb.toFixed(1)} | ${bare.rssMb.toFixed(1)} | ${bare.threads} |`,
);
