/**
 * The durable store, at the store level (rows, not yet pipelines): what a group commit costs and
 * how the writer treats the event loop, to choose and justify `commitWindowMs`/`commitMaxOps`.
 *
 *   node --import tsx bench/durable.ts [--rounds 3] [--rows 200000] [filter…]
 *   node --import tsx bench/durable.ts --pipeline [--rounds 3]   (durable pipelines: bench/durablePipeline.ts)
 *
 * Rows (each measured in a fresh process, after a warm-up pass of a tenth of the rows on another
 * run; rounds rotate the order; the table shows the median over rounds):
 * - the limit: better-sqlite3 alone, the same rows (the same msgpack bytes) inserted 1,000 per
 *   transaction with one prepared statement, SQLite's own WAL checkpoints.
 * - group size G: `inboxAdd` of small items (~40 bytes), one transaction per G writes
 *   (`commitMaxOps: G`, the window out of the way). rows/s over the whole pass; "commit" is the
 *   synchronous time of the call that committed (the loop is blocked that long), p50/p99/max.
 * - inbox add + remove: each item added, then removed one group later (both reach the disk), or
 *   within its group (neither does).
 * - checkpoint: one checkpoint per commit (watermark, 64 done ranges, a 500-item accumulator):
 *   the per-commit cost of a replayable source.
 * - paced: a producer adding 100 items per event-loop turn under the default options (10 ms window,
 *   1,000 writes): the longest synchronous stretches of the loop (a turn's writes, with the commit
 *   when the group fills; what runs between two turns, with the window's commit), against the memory
 *   store on the same loop, with the WAL checkpointed on its thread (default) or inline.
 *
 * On a shared machine the scheduler's preemptions dwarf a millisecond commit: each timed stretch
 * records whether the process was preempted during it (involuntary context switches), and the
 * latency columns use the stretches that were not (fsync and other I/O waits stay in them). The
 * share dropped is printed; "commit p99, all" keeps every sample.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { memoryStore, RangeSet, type Store } from "../src/index.js";
import { sqliteStore } from "../src/sqlite.js";
import { encode } from "../src/store/codec.js";

type Mode = "raw" | "inbox" | "inbox-remove-later" | "inbox-remove-within" | "checkpoint" | "paced";

interface Row {
  readonly name: string;
  readonly mode: Mode;
  readonly store: "sqlite" | "memory";
  /** commitMaxOps (ignored by "paced", which uses the defaults). */
  readonly group: number;
  readonly wal: "thread" | "inline";
  readonly durability: "normal" | "fsync";
  /** Fraction of --rows this row writes (one transaction per row is slow). */
  readonly share: number;
}

interface Measurement {
  readonly rowsPerSecond: number;
  /** Synchronous ms of the calls that committed, over the samples the process was not preempted in. */
  readonly commitP50: number;
  readonly commitP99: number;
  readonly commitMax: number;
  /** p99 over every sample, preempted or not. */
  readonly commitP99All: number;
  /** Paced rows: the longest synchronous stretches of the main thread (a turn's writes, or what ran between turns). */
  readonly stallP99: number;
  readonly stallMax: number;
  /** Share of samples dropped because the process was preempted meanwhile. */
  readonly preempted: number;
}

/**
 * Synchronous stretches of the main thread, each kept with whether the process was preempted
 * during it (its involuntary context switches moved): on a shared machine a preempted sample
 * measures the scheduler, not the store. Voluntary waits (fsync, I/O) stay in every sample.
 */
class Stretches {
  readonly clean: number[] = [];
  readonly all: number[] = [];
  #startedAt = 0;
  #switches = 0;

  start(): void {
    this.#switches = process.resourceUsage().involuntaryContextSwitches;
    this.#startedAt = performance.now();
  }

  stop(): void {
    const ms = performance.now() - this.#startedAt;
    this.all.push(ms);
    if (process.resourceUsage().involuntaryContextSwitches === this.#switches) this.clean.push(ms);
  }

  summary(rowsPerSecond: number, paced: boolean): Measurement {
    const clean = [...this.clean].sort((a, b) => a - b);
    const all = [...this.all].sort((a, b) => a - b);
    // NaN (shown as "–") when every sample was preempted
    const p99 = clean.length === 0 ? NaN : quantile(clean, 0.99);
    const max = clean.at(-1) ?? NaN;
    return {
      rowsPerSecond,
      commitP50: paced ? 0 : clean.length === 0 ? NaN : quantile(clean, 0.5),
      commitP99: paced ? 0 : p99,
      commitMax: paced ? 0 : max,
      commitP99All: paced ? 0 : quantile(all, 0.99),
      stallP99: paced ? p99 : 0,
      stallMax: paced ? max : 0,
      preempted: all.length === 0 ? 0 : 1 - clean.length / all.length,
    };
  }
}

const row = (name: string, mode: Mode, group: number, extra: Partial<Row> = {}): Row => ({
  name,
  mode,
  group,
  store: "sqlite",
  wal: "thread",
  durability: "normal",
  share: 1,
  ...extra,
});

const rows: readonly Row[] = [
  row("better-sqlite3 direct, 1,000 rows per transaction (limit)", "raw", 1000, { wal: "inline" }),
  row("group 1 (one transaction per write)", "inbox", 1, { share: 0.05 }),
  row("group 10", "inbox", 10, { share: 0.25 }),
  row("group 100", "inbox", 100),
  row("group 1,000 (default)", "inbox", 1000),
  row("group 10,000", "inbox", 10_000),
  row("group 1,000, WAL checkpoint inline", "inbox", 1000, { wal: "inline" }),
  row('group 1,000, durability "fsync"', "inbox", 1000, { durability: "fsync" }),
  row("group 1,000, memory store", "inbox", 1000, { store: "memory" }),
  row("inbox add, remove one group later", "inbox-remove-later", 1000),
  row("inbox add, remove within the group", "inbox-remove-within", 1000),
  row("checkpoint per commit (64 ranges, 500 held items)", "checkpoint", 1, { share: 0.05 }),
  row('checkpoint per commit, durability "fsync"', "checkpoint", 1, { share: 0.02, durability: "fsync" }),
  row("paced producer, memory store (baseline)", "paced", 1000, { store: "memory" }),
  row("paced producer, defaults", "paced", 1000),
  row("paced producer, WAL checkpoint inline", "paced", 1000, { wal: "inline" }),
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median of the numbers that are not NaN (NaN when none is). */
function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const item = (i: number): unknown => ({ id: i, name: `item-${i}`, value: i * 1.5 });
const plan = [{ name: "stage", fingerprint: "1" }];

function open(r: Row, dir: string, pass: string): Store {
  const timing = r.mode === "paced" ? {} : { commitMaxOps: r.group, commitWindowMs: 60_000 };
  if (r.store === "memory") return memoryStore(timing);
  return sqliteStore({ ...timing, path: join(dir, `${pass}.db`), walCheckpoint: r.wal, durability: r.durability });
}

/** One pass of a row over `n` writes. */
async function pass(r: Row, store: Store, n: number, runId: string): Promise<Measurement> {
  const run = await store.createRun({ id: runId, kind: "pipeline", name: "bench", plan });
  const stretches = new Stretches();
  const started = performance.now();
  if (r.mode === "checkpoint") {
    const done = RangeSet.from(
      Array.from({ length: 64 }, (_, k) => [1_000 + k * 10, 1_005 + k * 10] as [number, number]),
    );
    const held = Array.from({ length: 500 }, (_, k) => item(k));
    for (let i = 0; i < n; i++) {
      stretches.start();
      run.checkpoint({ watermark: i, done, accumulators: { batch: held } }); // commitMaxOps 1: commits here
      stretches.stop();
      await run.committed();
    }
  } else if (r.mode === "paced") {
    // a turn's writes (a commit when the group fills), then what runs before the next turn (the window's commit)
    for (let i = 0; i < n;) {
      stretches.start();
      for (const end = Math.min(n, i + 100); i < end; i++) run.inboxAdd(i, item(i));
      stretches.stop();
      stretches.start();
      await new Promise<void>((resolve) => setImmediate(resolve));
      stretches.stop();
    }
    await run.commit();
  } else {
    for (let i = 0; i < n; i++) {
      const commits = (i + 1) % r.group === 0; // commitMaxOps = group: this write fills the group
      if (commits) stretches.start();
      run.inboxAdd(i, item(i));
      if (r.mode === "inbox-remove-within") run.inboxRemove(i);
      else if (r.mode === "inbox-remove-later" && i >= r.group) run.inboxRemove(i - r.group);
      if (commits) stretches.stop();
    }
    await run.commit();
  }
  const elapsed = performance.now() - started;
  const writes = r.mode === "inbox-remove-later" ? 2 * n - r.group : r.mode === "inbox-remove-within" ? 2 * n : n;
  return stretches.summary((writes / elapsed) * 1000, r.mode === "paced");
}

/** The limit: better-sqlite3 alone, the inbox table's rows inserted `group` per transaction. */
function rawPass(r: Row, path: string, n: number): Measurement {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(
    "CREATE TABLE inbox (run_id TEXT NOT NULL, idx INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (run_id, idx)) WITHOUT ROWID",
  );
  const insert = db.prepare("INSERT INTO inbox (run_id, idx, item) VALUES (?, ?, ?)");
  const group = db.transaction((rows: readonly Uint8Array[], from: number) => {
    for (let k = 0; k < rows.length; k++) insert.run("timed", from + k, rows[k]);
  });
  const stretches = new Stretches();
  const started = performance.now();
  for (let i = 0; i < n; i += r.group) {
    const rows: Uint8Array[] = [];
    for (let k = i; k < Math.min(n, i + r.group); k++) rows.push(encode(item(k), "bench item"));
    stretches.start();
    group(rows, i);
    stretches.stop();
  }
  const elapsed = performance.now() - started;
  db.close();
  return stretches.summary((n / elapsed) * 1000, false);
}

async function measureHere(r: Row, n: number): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-durable-"));
  try {
    if (r.mode === "raw") {
      rawPass(r, join(dir, "warm.db"), Math.max(1000, Math.floor(n / 10)));
      return rawPass(r, join(dir, "timed.db"), n);
    }
    const warm = open(r, dir, "warm");
    await pass(r, warm, Math.max(1000, Math.floor(n / 10)), "warm");
    await warm.close();
    const store = open(r, dir, "timed");
    const m = await pass(r, store, n, "timed");
    await store.close();
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmtRate = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : x.toFixed(0);
const fmtMs = (x: number): string =>
  Number.isNaN(x) ? "–" : x < 0.1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1);

const childIndex = process.argv.indexOf("--child");
const total = arg("rows", 200_000);

if (process.argv.includes("--pipeline")) {
  // the pipeline-level rows: durable runs against the same pipelines without a store
  await import("./durablePipeline.js");
} else if (childIndex >= 0) {
  const r = rows[Number(process.argv[childIndex + 1])]!;
  const m = await measureHere(r, Math.max(1000, Math.floor(total * r.share)));
  process.stdout.write(`${JSON.stringify(m)}\n`);
} else {
  const rounds = arg("rounds", 3);
  const filters = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
  const chosen = rows
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => filters.length === 0 || filters.some((f) => r.name.includes(f) || r.mode.includes(f)));
  const self = fileURLToPath(import.meta.url);
  const results = new Map<number, Measurement[]>(chosen.map(({ index }) => [index, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = round % chosen.length;
    for (const { r, index } of [...chosen.slice(shift), ...chosen.slice(0, shift)]) {
      const out = execFileSync(
        process.execPath,
        ["--import", "tsx", self, "--child", String(index), "--rows", String(total)],
        { encoding: "utf8", maxBuffer: 1 << 20 },
      );
      const m = JSON.parse(out.trim(), (_, v: unknown) => (v === null ? NaN : v)) as Measurement; // NaN travels as null
      results.get(index)!.push(m);
      process.stderr.write(
        `${r.name} round ${round + 1}: ${fmtRate(m.rowsPerSecond)} rows/s, commit p50 ${fmtMs(m.commitP50)} ` +
          `p99 ${fmtMs(m.commitP99)} ms, stall p99 ${fmtMs(m.stallP99)} ms, ${(m.preempted * 100).toFixed(0)} % preempted\n`,
      );
    }
  }
  console.log(
    `\nnode ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} at the end; --rows ${total}; each cell: median over ${rounds} rounds (fresh process per row, ` +
      `rotated order). commit: synchronous ms of the call that committed (the event loop's pause), over the ` +
      `samples in which the process was not preempted ("all": every sample); stall: the longest synchronous ` +
      `stretches of a paced producer's loop; checkpoint rows count checkpoints\n`,
  );
  console.log(
    "| row | rows/s | commit p50 ms | commit p99 ms | commit max ms | commit p99 ms, all | loop stall p99 ms | loop stall max ms | preempted |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const { r, index } of chosen) {
    const ms = results.get(index)!;
    const med = (f: (m: Measurement) => number): string => fmtMs(median(ms.map(f)));
    const paced = r.mode === "paced";
    const cells = paced
      ? ["", "", "", "", med((m) => m.stallP99), med((m) => m.stallMax)]
      : [med((m) => m.commitP50), med((m) => m.commitP99), med((m) => m.commitMax), med((m) => m.commitP99All), "", ""];
    const preempted = `${(median(ms.map((m) => m.preempted)) * 100).toFixed(0)} %`;
    console.log(
      `| ${r.name} | ${fmtRate(median(ms.map((m) => m.rowsPerSecond)))} | ${cells.join(" | ")} | ${preempted} |`,
    );
  }
}
