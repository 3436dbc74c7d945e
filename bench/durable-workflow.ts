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
 * ratios are against the in-memory run of the same graph. "sqliteStore fsync" is
 * `durability: "fsync"` (synchronous=FULL: every commit fsynced, as PostgreSQL commits are).
 *
 * DBOS Transact on PostgreSQL, in the same invocation, when given (it is not a dependency of weir):
 *   DBOS_SDK_DIR=/tmp/dbos-peer DBOS_DATABASE_URL=postgresql://user:pw@localhost:5432/dbos_sys \
 *     node --import tsx bench/durable-workflow.ts
 * where /tmp/dbos-peer holds `npm install @dbos-inc/dbos-sdk@5.3.0`. Same graphs as one DBOS
 * workflow of N steps: "chain" awaits them one by one, "wide" runs them 64 at a time
 * (Promise.all). DBOS commits each step's result to PostgreSQL before the next may depend on it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
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

type Mode = "memory only" | "memoryStore" | "sqliteStore" | "sqliteStore fsync";
const modes: Mode[] = ["memory only", "memoryStore", "sqliteStore", "sqliteStore fsync"];
let files = 0;

async function once(shape: string, mode: Mode): Promise<number> {
  const wf = workflow(`bench-${shape}`).tasks(graph(shape));
  let store: Store | undefined;
  if (mode === "memoryStore") store = memoryStore();
  if (mode === "sqliteStore") store = sqliteStore({ path: join(dir, `b-${files++}.db`) });
  if (mode === "sqliteStore fsync") store = sqliteStore({ path: join(dir, `b-${files++}.db`), durability: "fsync" });
  const started = performance.now();
  const r = await wf.run({ concurrency: 64, ...(store === undefined ? {} : { store }) });
  const ms = performance.now() - started;
  await store?.close();
  if (r.state !== "completed") throw new Error(`${shape}/${mode}: ${String(r.error)}`);
  return (n / ms) * 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];

/** DBOS Transact's steps/s per shape (median of rounds), or why it was not run. */
async function dbos(): Promise<Map<string, number> | string> {
  const sdkDir = process.env.DBOS_SDK_DIR;
  const url = process.env.DBOS_DATABASE_URL;
  if (sdkDir === undefined || url === undefined) return "not run (set DBOS_SDK_DIR and DBOS_DATABASE_URL)";
  type Fn = (n: number) => Promise<number>;
  const { DBOS } = (await import(
    pathToFileURL(join(sdkDir, "node_modules/@dbos-inc/dbos-sdk/dist/src/index.js")).href
  )) as {
    DBOS: {
      setConfig(c: object): void;
      launch(): Promise<void>;
      shutdown(): Promise<void>;
      registerStep(f: (i: number) => Promise<unknown>, c: object): (i: number) => Promise<unknown>;
      registerWorkflow(f: Fn, c: object): Fn;
      startWorkflow(f: Fn): (n: number) => Promise<{ getResult(): Promise<number> }>;
    };
  };
  DBOS.setConfig({ name: "weirbench", systemDatabaseUrl: url, logLevel: "error" });
  const step = DBOS.registerStep(async (i: number) => task(i), { name: "step" });
  const shapes: Record<string, Fn> = {
    chain: DBOS.registerWorkflow(
      async (count: number) => {
        for (let i = 0; i < count; i++) await step(i);
        return count;
      },
      { name: "chain" },
    ),
    wide: DBOS.registerWorkflow(
      async (count: number) => {
        for (let i = 0; i < count; i += 64)
          await Promise.all(Array.from({ length: Math.min(64, count - i) }, (_, k) => step(i + k)));
        return count;
      },
      { name: "wide" },
    ),
  };
  await DBOS.launch();
  const out = new Map<string, number>();
  for (const [shape, wf] of Object.entries(shapes)) {
    const times: number[] = [];
    await (await DBOS.startWorkflow(wf)(100)).getResult(); // warm-up
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      await (await DBOS.startWorkflow(wf)(dbosSteps)).getResult();
      times.push((dbosSteps / (performance.now() - started)) * 1000);
    }
    out.set(shape, median(times));
  }
  await DBOS.shutdown();
  return out;
}
const dbosSteps = Math.min(n, arg("dbos-steps", 2000));
const peer = await dbos();
for (const shape of ["chain", "wide", "layers"]) {
  const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  await once(shape, "sqliteStore"); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = modes.map((_, k) => modes[(k + r) % modes.length]!);
    for (const mode of order) results.get(mode)!.push(await once(shape, mode));
  }
  const base = median(results.get("memory only")!);
  const fsync = median(results.get("sqliteStore fsync")!);
  for (const mode of modes) {
    const m = median(results.get(mode)!);
    rows.push(`| ${shape} | ${mode} | ${Math.round(m).toLocaleString("en-US")} | ${(m / base).toFixed(2)}× | |`);
  }
  const d = typeof peer === "string" ? undefined : peer.get(shape);
  if (d !== undefined) {
    const ratio = `weir sqliteStore fsync ${(fsync / d).toFixed(1)}× DBOS`;
    rows.push(`| ${shape} | DBOS Transact (PostgreSQL) | ${Math.round(d).toLocaleString("en-US")} | | ${ratio} |`);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`${n.toLocaleString("en-US")} tasks, median of ${rounds} rounds, Node ${process.version}\n`);
if (typeof peer === "string") console.log(`DBOS Transact: ${peer}\n`);
else console.log(`DBOS Transact: ${dbosSteps.toLocaleString("en-US")} steps per workflow\n`);
console.log("| graph | run | tasks/s | vs memory only | vs DBOS |\n|---|---|---:|---:|---|");
console.log(rows.join("\n"));
