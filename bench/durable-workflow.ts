/**
 * Durable workflow steps per second: the same graphs run in memory only, with `memoryStore()`,
 * and with `sqliteStore()` on a file (each task's result committed before it counts as done).
 *
 *   node --import tsx bench/durable-workflow.ts [--rounds 3] [--tasks 5000]
 *
 * Graphs: "chain" (N tasks, each after the one before: one commit per task, the latency path),
 * "wide" (N independent tasks at concurrency 64: tasks finishing in one event-loop turn share a
 * commit), "layers" (N tasks in layers of 50, each after 2 of the layer before). Tasks are async
 * and return a small object. The table shows the median over rounds (rounds rotate the order);
 * ratios are against the in-memory run of the same graph.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore, workflow, type Store, type TaskSpec } from "../src/index.js";
import { sqliteStore } from "../src/sqlite.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const rounds = arg("rounds", 3);
const n = arg("tasks", 5000);
const dir = mkdtempSync(join(tmpdir(), "weir-bench-dwf-"));

const task = async (i: number): Promise<{ i: number; ok: boolean }> => ({ i, ok: true });

function graph(shape: string): TaskSpec[] {
  const specs: TaskSpec[] = [];
  for (let i = 0; i < n; i++) {
    const after =
      shape === "chain"
        ? i === 0
          ? []
          : [`t${i - 1}`]
        : shape === "wide"
          ? []
          : i < 50
            ? []
            : [`t${i - 50}`, `t${i - 50 - (i % 50 === 0 ? 0 : 1)}`].filter((v, k, a) => a.indexOf(v) === k);
    specs.push({ name: `t${i}`, after, run: () => task(i) });
  }
  return specs;
}

type Mode = "memory only" | "memoryStore" | "sqliteStore";
const modes: Mode[] = ["memory only", "memoryStore", "sqliteStore"];
let files = 0;

async function once(shape: string, mode: Mode): Promise<number> {
  const wf = workflow(`bench-${shape}`).tasks(graph(shape));
  let store: Store | undefined;
  if (mode === "memoryStore") store = memoryStore();
  if (mode === "sqliteStore") store = sqliteStore({ path: join(dir, `b-${files++}.db`) });
  const started = performance.now();
  const r = await wf.run({ concurrency: 64, ...(store === undefined ? {} : { store }) });
  const ms = performance.now() - started;
  await store?.close();
  if (r.state !== "completed") throw new Error(`${shape}/${mode}: ${String(r.error)}`);
  return (n / ms) * 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];
for (const shape of ["chain", "wide", "layers"]) {
  const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  await once(shape, "sqliteStore"); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = modes.map((_, k) => modes[(k + r) % modes.length]!);
    for (const mode of order) results.get(mode)!.push(await once(shape, mode));
  }
  const base = median(results.get("memory only")!);
  for (const mode of modes) {
    const m = median(results.get(mode)!);
    rows.push(`| ${shape} | ${mode} | ${Math.round(m).toLocaleString("en-US")} | ${(m / base).toFixed(2)}× |`);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`${n.toLocaleString("en-US")} tasks, median of ${rounds} rounds, Node ${process.version}\n`);
console.log("| graph | run | tasks/s | vs memory only |\n|---|---|---:|---:|");
console.log(rows.join("\n"));
