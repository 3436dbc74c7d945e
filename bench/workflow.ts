/**
 * Workflow scheduling overhead: weir vs p-graph on the same graphs of no-op tasks, in one process.
 *
 *   node --import tsx bench/workflow.ts [--runs 3] [--dag 10000] [--chain 100000]
 *
 * Graphs: a random DAG (each task depends on up to 3 earlier tasks, seeded, so every run sees the
 * same graph) and a chain. Each contender builds its graph once per measurement (build time is
 * reported apart), warms up on the same graph, then is timed; contenders alternate order between
 * rounds; the table shows medians and the ratio to p-graph. Concurrency is unbounded-ish (the
 * task count) for both, so the figure is pure scheduling overhead.
 */
import { PGraph, type DependencyList, type PGraphNodeMap } from "p-graph";
import { workflow, type TaskSpec } from "../src/workflow/Workflow.js";

interface Graph {
  readonly name: string;
  readonly names: readonly string[];
  readonly deps: readonly (readonly number[])[];
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
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
  /** Builds the graph; returns a function that runs it once. */
  prepare(g: Graph): () => Promise<void>;
}

let sink = 0;
const noop = (): void => {
  sink++;
};

const weir: Contender = {
  name: "weir",
  prepare(g) {
    const specs: TaskSpec[] = g.names.map((name, i) => ({ name, after: g.deps[i]!.map((d) => g.names[d]!), run: noop }));
    const wf = workflow(g.name).tasks(specs);
    wf.plan(); // compile once, as a reused workflow would be
    return async () => {
      const r = await wf.run({ concurrency: g.names.length });
      if (!r.ok) throw new Error("weir run failed");
    };
  },
};

const pgraph: Contender = {
  name: "p-graph",
  prepare(g) {
    const nodes: PGraphNodeMap = new Map(g.names.map((name) => [name, { run: noop }]));
    const edges: DependencyList = [];
    g.deps.forEach((ds, i) => {
      for (const d of ds) edges.push([g.names[d]!, g.names[i]!]);
    });
    return async () => {
      await new PGraph(nodes, edges).run({ concurrency: g.names.length });
    };
  },
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

async function measure(g: Graph, contenders: readonly Contender[], runs: number): Promise<Map<string, { build: number[]; run: number[] }>> {
  const out = new Map(contenders.map((c) => [c.name, { build: [] as number[], run: [] as number[] }]));
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const t0 = performance.now();
      const once = c.prepare(g);
      const build = performance.now() - t0;
      for (let w = 0; w < 3; w++) await once(); // warm-up
      const ms = await time(once);
      out.get(c.name)!.build.push(build);
      out.get(c.name)!.run.push(ms);
    }
  }
  return out;
}

const runs = arg("runs", 3);
const graphs = [randomDag(arg("dag", 10_000)), chain(arg("chain", 100_000))];
const contenders = [weir, pgraph];
const rows: string[] = [];
for (const g of graphs) {
  const m = await measure(g, contenders, runs);
  const base = median(m.get("p-graph")!.run);
  for (const c of contenders) {
    const r = m.get(c.name)!;
    const med = median(r.run);
    const perTask = (med * 1000) / g.names.length;
    rows.push(
      `| ${g.name} | ${c.name} | ${med.toFixed(1)} | ${perTask.toFixed(2)} | ${median(r.build).toFixed(1)} | ${(base / med).toFixed(2)}× |`,
    );
    process.stderr.write(`${g.name} ${c.name}: runs ${r.run.map((x) => x.toFixed(1)).join(", ")} ms\n`);
  }
}
console.log(`\nnode ${process.version}, median of ${runs} (after 3 warm-up runs each), no-op tasks, concurrency = task count\n`);
console.log("| graph | contender | run ms | µs per task | build ms | speed vs p-graph |");
console.log("|---|---|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
if (sink < 0) console.log(sink);
