/**
 * Durable pipelines (`run({ store })`) against the same pipelines without a store, in one process,
 * rounds interleaved (plain, durable, plain, durable…), medians printed with their ratio:
 * - tiny items (`x => x + 1`, inline) from an array of 1,000,000;
 * - ~5 µs and ~1 ms of CPU work per item (a spin on the clock) from an array;
 * - inbox mode: a plain async generator of 500,000 tiny items (each written to the inbox at
 *   admission and removed once done) against the same source without a store;
 * - the group commits of the durable tiny-items runs: synchronous ms per commit (p50/p99/max);
 * - resume: a 1,000,000-item run stopped halfway, then the time from `run({ resume })` to the
 *   first item of the resumed run reaching its first stage (claim, plan check, checkpoint read,
 *   source seek).
 *
 *   node --import tsx bench/durable.ts --pipeline [--rounds 3] [--only <word>]   (--only: the cases whose name has it)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline, type Store } from "../src/index.js";
import { sqliteStore } from "../src/sqlite.js";
import { SqliteBackend } from "../src/store/sqlite/SqliteBackend.js";

const rounds = (() => {
  const i = process.argv.indexOf("--rounds");
  return i >= 0 ? Number(process.argv[i + 1]) : 3;
})();
const only = (() => {
  const i = process.argv.indexOf("--only");
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
const dir = mkdtempSync(join(tmpdir(), "weir-bench-durable-pipeline-"));
let files = 0;
const freshStore = (): Store => sqliteStore({ path: join(dir, `b${files++}.db`) });

// every commit's synchronous time (the event loop's pause), while `commits` is set
let commits: number[] | undefined;
const commit = SqliteBackend.prototype.commit;
SqliteBackend.prototype.commit = function timed(this: SqliteBackend, ...args: Parameters<typeof commit>) {
  const t = performance.now();
  try {
    return commit.apply(this, args);
  } finally {
    commits?.push(performance.now() - t);
  }
};

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const tinyItems = range(1_000_000);

interface Case {
  readonly name: string;
  readonly items: number;
  /** Runs the pipeline once, with or without a store; resolves when done. */
  run(store: Store | undefined): Promise<void>;
}

const noop = (): void => {};
const cases: Case[] = [
  {
    name: "tiny items (x => x + 1), array of 1,000,000",
    items: tinyItems.length,
    run: async (store) => {
      const p = pipeline("tiny")
        .from(tinyItems)
        .map((x: number) => x + 1)
        .to(noop);
      await (store === undefined ? p.run() : p.run({ store }));
    },
  },
  {
    name: "~5 µs of work per item, array of 200,000",
    items: 200_000,
    run: async (store) => {
      const p = pipeline("5us")
        .from(range(200_000))
        .map((x: number) => (spin(5), x + 1))
        .to(noop);
      await (store === undefined ? p.run() : p.run({ store }));
    },
  },
  {
    name: "~1 ms of work per item, array of 2,000",
    items: 2_000,
    run: async (store) => {
      const p = pipeline("1ms")
        .from(range(2_000))
        .map((x: number) => (spin(1000), x + 1))
        .to(noop);
      await (store === undefined ? p.run() : p.run({ store }));
    },
  },
  {
    name: "inbox mode: async generator of 500,000 tiny items",
    items: 500_000,
    run: async (store) => {
      const p = pipeline("inbox")
        .from(async function* () {
          for (let i = 0; i < 500_000; i++) yield i;
        })
        .map((x: number) => x + 1)
        .to(noop);
      await (store === undefined ? p.run() : p.run({ store }));
    },
  },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const rate = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : x.toFixed(0);

try {
  const rows: string[] = [];
  const tinyCommits: number[] = [];
  for (const c of cases.filter((x) => only === undefined || x.name.includes(only))) {
    const plain: number[] = [];
    const durable: number[] = [];
    await c.run(undefined); // warm-up
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      await c.run(undefined);
      plain.push(performance.now() - t);
      const store = freshStore();
      if (c.name.startsWith("tiny")) commits = tinyCommits;
      t = performance.now();
      await c.run(store);
      durable.push(performance.now() - t);
      commits = undefined;
      await store.close();
      process.stderr.write(
        `${c.name} round ${round + 1}: plain ${plain.at(-1)!.toFixed(0)} ms, durable ${durable.at(-1)!.toFixed(0)} ms\n`,
      );
    }
    const p = median(plain);
    const d = median(durable);
    rows.push(`| ${c.name} | ${rate(c.items / (p / 1000))} | ${rate(c.items / (d / 1000))} | ${(d / p).toFixed(2)}× |`);
  }

  // resume of a 1,000,000-item run stopped halfway
  const resumeMs: number[] = [];
  for (let round = 0; round < (only === undefined || "resume".includes(only) ? rounds : 0); round++) {
    const store = freshStore();
    let stopAt = 500_000;
    let first: number | undefined;
    let seen = 0;
    let started = 0;
    const p = pipeline("resume")
      .from(tinyItems)
      .map(
        async (x: number) => {
          first ??= performance.now();
          return x;
        },
        { concurrency: 64 },
      )
      .to(() => {
        if (++seen === stopAt) void run.stop({ graceMs: 0 });
      });
    const run = p.run({ store });
    await run;
    stopAt = -1;
    first = undefined;
    started = performance.now();
    await p.run({ store, resume: run.runId! });
    resumeMs.push(first! - started);
    await store.close();
  }
  console.log(
    `\nnode ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} at the end; median of ${rounds} rounds, plain and durable interleaved in one process; durable: ` +
      `sqliteStore() defaults (WAL, synchronous=NORMAL, 10 ms / 1,000 writes per group commit)\n`,
  );
  console.log("| pipeline | items/s, no store | items/s, durable | durable / plain wall time |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) console.log(r);
  if (tinyCommits.length > 0)
    console.log(
      `\ngroup commits of the durable tiny-items runs (synchronous ms each, the event loop's pause): ` +
        `n=${tinyCommits.length}, p50 ${pct(tinyCommits, 0.5).toFixed(3)}, p99 ${pct(tinyCommits, 0.99).toFixed(3)}, ` +
        `max ${Math.max(...tinyCommits).toFixed(3)}`,
    );
  if (resumeMs.length > 0)
    console.log(
      `resume of a 1,000,000-item run stopped halfway, run({ resume }) to its first item: ` +
        `median ${median(resumeMs).toFixed(1)} ms (${resumeMs.map((x) => x.toFixed(1)).join(", ")})`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
