/**
 * Workflow scheduling overhead: weir vs p-graph on the same graphs of no-op tasks.
 *
 *   node --import tsx bench/workflow.ts [--rounds 3] [--per-round 5] [--warmup 3] [--dag 10000] [--chain 100000]
 *
 * Graphs: a random DAG (each task depends on up to 3 earlier tasks, seeded, so every run sees the
 * same graph) and a chain. Each measurement runs in a fresh process (`--child`): it builds the
 * contender's graph from the same task list (timed apart: weir's `tasks()` and compile, p-graph's
 * constructor), runs it `--warmup` times, then times `--per-round` runs and reports the mean per
 * run. Contenders alternate order between rounds; the table shows the median over rounds, µs per
 * task and the ratio to p-graph measured in the same invocation. Concurrency is the task count for
 * both, so the figure is pure scheduling overhead.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PGraph, type DependencyList, type PGraphNodeMap } from "p-graph";
import { workflow } from "../src/workflow/createWorkflow.js";
import type { TaskSpec } from "../src/workflow/Workflow.js";

interface Graph {
  readonly name: string;
  readonly names: readonly string[];
  readonly deps: readonly (readonly number[])[];
}

/** What one child process measured. */
interface Measurement {
  readonly buildMs: number;
  /** Mean of the timed runs, in ms. */
  readonly runMs: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A seeded PRNG (mulberry32), so the DAG is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomDag(n: number, seed = 42): Graph {
  const random = prng(seed);
  const names = Array.from({ length: n }, (_, i) => `t${i}`);
  const deps = names.map((_, i) => {
    if (i === 0) return [];
    const k = Math.floor(random() * 4); // 0..3 dependencies
    const set = new Set<number>();
    for (let j = 0; j < k; j++) set.add(Math.floor(random() * i));
    return [...set];
  });
  return { name: `random DAG, ${n} tasks`, names, deps };
}

function chain(n: number): Graph {
  const names = Array.from({ length: n }, (_, i) => `t${i}`);
  return { name: `chain, ${n} tasks`, names, deps: names.map((_, i) => (i === 0 ? [] : [i - 1])) };
}

interface Contender {
  readonly name: string;
  /** Builds the graph (timed as the build); returns a function that runs it once. */
  build(g: Graph): () => Promise<void>;
}

let sink = 0;
const noop = (): void => {
  sink++;
};

const weir: Contender = {
  name: "weir",
  build(g) {
    const specs: TaskSpec[] = g.names.map((name, i) => ({
      name,
      after: g.deps[i]!.map((d) => g.names[d]!),
      run: noop,
    }));
    const wf = workflow(g.name).tasks(specs);
    wf.plan(); // compiles the graph (a reused workflow compiles once), as p-graph's constructor does its checks
    return async () => {
      const r = await wf.run({ concurrency: g.names.length });
      if (!r.ok) throw new Error("weir run failed");
    };
  },
};

const pgraph: Contender = {
  name: "p-graph",
  build(g) {
    const nodes: PGraphNodeMap = new Map(g.names.map((name) => [name, { run: noop }]));
    const edges: DependencyList = [];
    g.deps.forEach((ds, i) => {
      for (const d of ds) edges.push([g.names[d]!, g.names[i]!]);
    });
    const graph = new PGraph(nodes, edges); // validates and ranks once; run() copies its state per run
    return async () => {
      await graph.run({ concurrency: g.names.length });
    };
  },
};

const contenders = [weir, pgraph];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** In a child process: build, warm up, time `perRound` runs of one contender on one graph. */
async function measureHere(g: Graph, c: Contender, warmup: number, perRound: number): Promise<Measurement> {
  const t0 = performance.now();
  const once = c.build(g);
  const buildMs = performance.now() - t0;
  for (let w = 0; w < warmup; w++) await once();
  const t1 = performance.now();
  for (let r = 0; r < perRound; r++) await once();
  return { buildMs, runMs: (performance.now() - t1) / perRound };
}

const sizes = { dag: arg("dag", 10_000), chain: arg("chain", 100_000) };
const graphOf = (kind: string): Graph => (kind === "dag" ? randomDag(sizes.dag) : chain(sizes.chain));
const warmup = arg("warmup", 3);
const perRound = arg("per-round", 5);
const child = textArg("child");

if (child !== undefined) {
  const g = graphOf(textArg("graph") ?? "dag");
  const c = contenders.find((x) => x.name === child)!;
  const m = await measureHere(g, c, warmup, perRound);
  process.stdout.write(`${JSON.stringify(m)}\n`);
  if (sink < 0) console.log(sink);
} else {
  const rounds = arg("rounds", 3);
  const self = fileURLToPath(import.meta.url);
  const rows: string[] = [];
  for (const kind of ["dag", "chain"]) {
    const g = graphOf(kind);
    const out = new Map(contenders.map((c) => [c.name, [] as Measurement[]]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const args = [
          "--import",
          "tsx",
          self,
          "--child",
          c.name,
          "--graph",
          kind,
          "--dag",
          String(sizes.dag),
          "--chain",
          String(sizes.chain),
        ];
        args.push("--warmup", String(warmup), "--per-round", String(perRound));
        const m = JSON.parse(
          execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 }).trim(),
        ) as Measurement;
        out.get(c.name)!.push(m);
        process.stderr.write(
          `${g.name} ${c.name} round ${round + 1}: ${m.runMs.toFixed(2)} ms/run, build ${m.buildMs.toFixed(1)} ms\n`,
        );
      }
    }
    const base = median(out.get("p-graph")!.map((m) => m.runMs));
    for (const c of contenders) {
      const ms = out.get(c.name)!;
      const run = median(ms.map((m) => m.runMs));
      const perTask = (run * 1000) / g.names.length;
      const build = median(ms.map((m) => m.buildMs));
      rows.push(
        `| ${g.name} | ${c.name} | ${run.toFixed(2)} | ${perTask.toFixed(2)} | ${build.toFixed(1)} | ${(base / run).toFixed(2)}× |`,
      );
    }
  }
  console.log(
    `\nnode ${process.version}; each cell: median over ${rounds} rounds (fresh process each, contenders alternating) of the mean of ` +
      `${perRound} timed runs after ${warmup} warm-up runs; no-op tasks, concurrency = task count; build timed apart\n`,
  );
  console.log("| graph | contender | ms per run | µs per task | build ms | speed vs p-graph |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(r);
}
