/**
 * What one child process of a pool weighs: a `child()` stage's process, read by an item sent
 * {@link SETTLE_MS} after its first (its module loaded, whatever it started at start-up running),
 * and the resident memory of its whole process group (the child and what it started: weir's
 * watchdog), beside a bare `node` process reading the same figures; and how long the weir child took from the
 * executor's creation to its first result. Each sample starts and closes a pool of one child;
 * medians of `--samples` (default 7). Linux (threads are read from /proc).
 *
 *   node --import tsx bench/child-memory.ts [--samples 7]
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { child } from "../src/executor/pool/stage/child.js";
import { createExecutor } from "../src/executor/pool/stage/createExecutor.js";

interface Footprint {
  readonly rssMb: number;
  readonly threads: number;
  /** The resident memory of the process's group, all members together (the process's own for `node -e`). */
  readonly groupRssMb: number;
}

/** The summed resident memory (MiB) of the processes in group `pgid`, by `ps`. */
function groupRssMb(pgid: number): number {
  const ps = spawnSync("ps", ["-eo", "pgid=,rss="], { encoding: "utf8" }).stdout;
  let kb = 0;
  for (const line of ps.split("\n")) {
    const [group, rss] = line.trim().split(/\s+/).map(Number);
    if (group === pgid) kb += rss!;
  }
  return kb / 1024;
}

const { values } = parseArgs({ options: { samples: { type: "string", default: "7" } } });
const samples = Number(values.samples);
if (!(Number.isInteger(samples) && samples >= 1))
  throw new Error(`--samples: a positive integer, got ${values.samples}`);

/** How long after its first item the child's footprint is read. */
const SETTLE_MS = 500;

const moduleUrl = new URL("../test/fixtures/workers/bench.mjs", import.meta.url);

/** What the fixture's `footprint` returns. */
interface Reading {
  readonly pid: number;
  readonly rssMb: number;
  readonly threads: number;
}

/** Starts a pool of one child, reads its footprint twice ({@link SETTLE_MS} apart), closes the pool. */
async function weirChild(): Promise<Footprint & { firstMs: number }> {
  const start = performance.now();
  const e = createExecutor(child<number, Reading>(moduleUrl, "footprint", { maxWorkers: 1 }), "footprint");
  try {
    const footprint = (): Promise<Reading> =>
      new Promise((resolve, reject) =>
        e.execute(
          { item: 0, index: 0, attempt: 1, signal: new AbortController().signal },
          { resolve: (value) => resolve(value as Reading), reject },
        ),
      );
    await footprint();
    const firstMs = performance.now() - start;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const { pid, rssMb, threads } = await footprint();
    return { rssMb, threads, groupRssMb: groupRssMb(pid), firstMs };
  } finally {
    await e.close();
  }
}

/** A bare `node` process printing the same figures. */
function bareNode(): Footprint {
  const code = `const t = /^Threads:\\s+(\\d+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"));
const rssMb = process.memoryUsage().rss / 1048576;
process.stdout.write(JSON.stringify({ rssMb, threads: Number(t[1]), groupRssMb: rssMb }));`;
  const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bare node: ${r.stderr}`);
  return JSON.parse(r.stdout) as Footprint;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

await weirChild(); // the entry is bundled and the module compiled once, outside the samples
const weir: Array<Footprint & { firstMs: number }> = [];
const bare: Footprint[] = [];
for (let i = 0; i < samples; i++) {
  weir.push(await weirChild());
  bare.push(bareNode());
}

const mb = (xs: number[]): string =>
  `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const fmt = (rows: Footprint[]): string =>
  `${mb(rows.map((r) => r.rssMb))} | ${mb(rows.map((r) => r.groupRssMb))} | ${median(rows.map((r) => r.threads))}`;
console.log(`\n### One child process of a pool (Node ${process.versions.node}, medians of ${samples})\n`);
console.log("| process | RSS MiB (min–max) | its group's RSS MiB | threads | first result |");
console.log("|---|---:|---:|---:|---:|");
console.log(`| weir child() | ${fmt(weir)} | ${median(weir.map((w) => w.firstMs)).toFixed(1)} ms |`);
console.log(`| bare \`node -e\` | ${fmt(bare)} | – |`);
