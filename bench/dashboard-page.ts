/**
 * Whether the dashboard's page stays responsive with a big run, in a real Chromium (Debian's
 * `chromium`, through playwright-core): a workflow of `--tasks` tasks (1,000 by default) running
 * at concurrency 16, its DAG page open while every task changes state, and a store of
 * `--letters` dead letters (10,000 by default) paged and searched.
 *
 * Measured in the page: the time until the whole DAG is drawn; while the tasks update, the
 * longest main-thread task (PerformanceObserver "longtask", tasks over 50 ms) and the total
 * blocking time (the part of each long task past 50 ms), and the p99 and longest gap between
 * animation frames (what a user feels as jank; 16.7 ms is a smooth 60 Hz); for dead letters, the
 * time from opening the page to its first 50 rows, from "next" to page 2, and from a search to
 * its rows. Each is the median of `--runs` (≥ 3) rounds, each round in a fresh page and run.
 * There is no peer to run beside it (Bull Board, Temporal UI need servers of their own): the
 * numbers are absolute, on a machine shared with other work, so noisy.
 *
 *   node --import tsx bench/dashboard-page.ts [--runs 3] [--tasks 1000] [--letters 10000]
 */
import { parseArgs } from "node:util";
import type { Browser, Page } from "playwright-core";
import { memoryStore, workflow } from "../src/index.js";
import { dashboard } from "../src/dashboard.js";
import { chromiumPath, launchChromium } from "../test/dashboard/chromium.js";

/** The little of the DOM the page functions below use (this file is compiled without the DOM's types). */
declare const document: {
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): { textContent: string | null } | null;
};

const { values } = parseArgs({
  options: { runs: { type: "string" }, tasks: { type: "string" }, letters: { type: "string" } },
});
const runs = Math.max(3, Number(values.runs ?? 3));
const taskCount = Number(values.tasks ?? 1000);
const letterCount = Number(values.letters ?? 10_000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Installed before the page's own script: long tasks and animation-frame gaps, kept on `window`. */
const probe = `(() => {
  const w = window;
  w.__long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__long.push(e.duration); })
    .observe({ type: "longtask", buffered: true });
  w.__gaps = [];
  let last = performance.now();
  const frame = (t) => { w.__gaps.push(t - last); last = t; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
})();`;

/** Reads (and resets) what the probe collected. */
async function readProbe(page: Page): Promise<{ long: number[]; gaps: number[] }> {
  return (await page.evaluate(
    "(() => { const r = { long: window.__long, gaps: window.__gaps }; window.__long = []; window.__gaps = []; return r; })()",
  )) as { long: number[]; gaps: number[] };
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

async function dagRound(browser: Browser): Promise<Record<string, number>> {
  let gate!: () => void;
  const held = new Promise<void>((resolve) => (gate = resolve));
  const wf = workflow("wide").tasks([
    { name: "root", run: () => held },
    ...Array.from({ length: taskCount - 1 }, (_, i) => ({
      name: `t${i}`,
      after: [i < 10 ? "root" : `t${i % 10}`],
      run: () => sleep(5 + (i % 20)),
    })),
  ]);
  const run = wf.run({ concurrency: 16 });
  const db = await dashboard({ runs: [{ run, plan: wf.plan() }], print: false, sampleMs: 250 });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.addInitScript(probe);
    const t0 = performance.now();
    await page.goto(`${db.url}#/run/live-1`);
    await page.waitForFunction((n) => document.querySelectorAll("#dag [data-task]").length === n, taskCount);
    const drawnMs = performance.now() - t0;
    await readProbe(page); // from here: the updates only
    gate();
    await run;
    await page.waitForFunction((n) => document.querySelectorAll("#dag .task.completed").length === n, taskCount);
    const { long, gaps } = await readProbe(page);
    return {
      drawnMs,
      longestTaskMs: Math.max(0, ...long),
      blockingMs: long.reduce((a, d) => a + Math.max(0, d - 50), 0),
      frameGapP99Ms: quantile(gaps, 0.99),
      frameGapMaxMs: Math.max(0, ...gaps),
    };
  } finally {
    await page.close();
    await db.close();
  }
}

async function lettersRound(browser: Browser): Promise<Record<string, number>> {
  const store = memoryStore();
  const handle = await store.createRun({
    kind: "pipeline",
    name: "orders",
    plan: [{ name: "enrich", fingerprint: "f" }],
  });
  for (let i = 0; i < letterCount; i++) {
    handle.addDeadLetter({
      key: `k${i}`,
      stage: "enrich",
      index: i,
      item: { order: i },
      error: Object.assign(new Error(`enrich failed on order ${i}`), { code: i % 10 === 0 ? "E_RARE" : "E_ENRICH" }),
      attempts: 3,
      firstFailedAt: 1,
    });
  }
  await handle.finish("completed");
  const db = await dashboard({ store, print: false });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.addInitScript(probe);
    let t = performance.now();
    await page.goto(`${db.url}#/dead-letters`);
    await page.waitForFunction(() => document.querySelectorAll("#dead-letters tbody tr").length === 50);
    const firstPageMs = performance.now() - t;
    t = performance.now();
    await page.click("#dl-next");
    await page.waitForSelector('[data-dead-letter="51"]');
    const nextPageMs = performance.now() - t;
    t = performance.now();
    await page.fill('input[name="code"]', "E_RARE");
    await page.press('input[name="code"]', "Enter");
    await page.waitForFunction(
      (want) => document.getElementById("dl-total")?.textContent?.startsWith(want) === true,
      `${letterCount / 10} matching`,
    );
    const searchMs = performance.now() - t;
    const { long } = await readProbe(page);
    return { firstPageMs, nextPageMs, searchMs, longestTaskMs: Math.max(0, ...long) };
  } finally {
    await page.close();
    await db.close();
    await store.close();
  }
}

if (chromiumPath() === undefined) {
  console.log("chromium is not on the PATH: nothing measured (apt-get install -y chromium)");
  process.exit(0);
}
const browser = await launchChromium();
const dag: Array<Record<string, number>> = [];
const letters: Array<Record<string, number>> = [];
try {
  await dagRound(browser); // warm-up: the first page of a fresh browser pays its start-up
  for (let r = 0; r < runs; r++) {
    dag.push(await dagRound(browser));
    letters.push(await lettersRound(browser));
    process.stderr.write(`round ${r + 1}: ${JSON.stringify({ dag: dag.at(-1), letters: letters.at(-1) })}\n`);
  }
} finally {
  await browser.close();
}
const row = (label: string, rounds: Array<Record<string, number>>, key: string): string => {
  const xs = rounds.map((r) => r[key]!);
  return `| ${label} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} |`;
};
console.log(`| page, in Chromium | ms (median of ${runs}) | min–max |`);
console.log("|---|---:|---:|");
console.log(row(`${taskCount}-task DAG: opened to fully drawn`, dag, "drawnMs"));
console.log(row(`${taskCount}-task DAG while every task updates: longest main-thread task`, dag, "longestTaskMs"));
console.log(row(`… total blocking time (long tasks past 50 ms)`, dag, "blockingMs"));
console.log(row(`… p99 gap between animation frames`, dag, "frameGapP99Ms"));
console.log(row(`… longest gap between animation frames`, dag, "frameGapMaxMs"));
console.log(row(`${letterCount.toLocaleString("en")} dead letters: opened to first page`, letters, "firstPageMs"));
console.log(row(`… next page`, letters, "nextPageMs"));
console.log(row(`… search by code (${(letterCount / 10).toLocaleString("en")} match)`, letters, "searchMs"));
console.log(row(`… longest main-thread task`, letters, "longestTaskMs"));
