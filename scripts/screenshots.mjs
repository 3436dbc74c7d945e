// Takes the screenshots of the dashboard shown in the README and docs/dashboard.md (docs/img/*.png):
// a pipeline and a workflow running in this process, a store with dead letters, and Debian's
// chromium driven by playwright-core. Usage: node --import tsx scripts/screenshots.mjs
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { memoryStore, pipeline, workflow } from "../src/index.js";
import { dashboard } from "../src/dashboard.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const executablePath = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();

// a pipeline: an endless source, a CPU-light parse, a slow async enrich (the bottleneck), a sink
async function* orders() {
  for (let i = 0; ; i++) {
    await sleep(1);
    yield { id: i, amount: (i * 37) % 500 };
  }
}
const p = pipeline("orders")
  .from(orders())
  .map((o) => ({ ...o, cents: o.amount * 100 }), { name: "parse" })
  .map(
    async (o) => {
      await sleep(5 + (o.id % 7));
      if (o.id % 97 === 0) throw new Error(`upstream refused order ${o.id}`);
      return o;
    },
    { name: "enrich", concurrency: 8, retry: { attempts: 2, baseMs: 5 }, onError: "dead-letter" },
  )
  .filter((o) => o.amount > 20, { name: "large" })
  .to(async () => sleep(1), { name: "save", concurrency: 4 });
const run = p.run();

// a workflow: 8 extracts, 24 transforms (some retry, one fails), 4 loads, a report
const tasks = [];
for (let i = 0; i < 8; i++) tasks.push({ name: `extract-${i}`, run: () => sleep(600 + i * 200) });
for (let i = 0; i < 24; i++)
  tasks.push({
    name: `transform-${i}`,
    after: [`extract-${i % 8}`],
    retry: { attempts: 3, baseMs: 100 },
    run: async (ctx) => {
      await sleep(500 + (i % 5) * 250);
      if (i === 7 && ctx.attempt < 3) throw new Error("flaky API");
      if (i === 13) throw new Error("schema mismatch in column total");
    },
  });
for (let i = 0; i < 4; i++)
  tasks.push({
    name: `load-${i}`,
    after: Array.from({ length: 6 }, (_, k) => `transform-${i * 6 + k}`),
    onFailure: "continue",
    run: () => sleep(900),
  });
tasks.push({ name: "report", after: ["load-0", "load-1", "load-2", "load-3"], run: () => sleep(200) });
const wf = workflow("nightly-etl").tasks(tasks);

// a store with dead letters of an earlier run
const store = memoryStore();
const stored = await store.createRun({
  kind: "pipeline",
  name: "invoices",
  plan: [{ name: "charge", fingerprint: "1" }],
});
for (let i = 0; i < 137; i++) {
  const error = Object.assign(new Error(`card declined for invoice ${1000 + i}`), { code: "E_DECLINED" });
  stored.addDeadLetter({
    key: `inv-${1000 + i}`,
    stage: "charge",
    index: i,
    item: { invoice: 1000 + i, amount: 42.5 + i },
    error,
    attempts: 3,
    firstFailedAt: Date.now() - 60_000,
  });
}
await stored.finish("failed", new Error("137 invoices dead-lettered"));

const db = await dashboard({
  runs: [{ run, plan: p.plan() }],
  store,
  sampleMs: 250,
  print: false,
  replay: () => {},
});
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

await page.goto(`${db.url}#/run/live-1`);
await sleep(6000);
await page.screenshot({ path: "docs/img/dashboard-pipeline.png", fullPage: true });

const wfRun = wf.run({ concurrency: 6 });
db.watch({ run: wfRun, plan: wf.plan() });
await page.goto(`${db.url}#/run/live-2`);
await sleep(4000);
await page.screenshot({ path: "docs/img/dashboard-workflow.png", fullPage: true });

await page.goto(`${db.url}#/`);
await sleep(800);
await page.screenshot({ path: "docs/img/dashboard-runs.png" });

await page.goto(`${db.url}#/dead-letters`);
await page.waitForSelector('[data-dead-letter="3"]');
await page.click('[data-dead-letter="3"]');
await page.waitForSelector("#dl-item");
await page.screenshot({ path: "docs/img/dashboard-dead-letters.png" });

await browser.close();
await run.stop({ graceMs: 0 }).catch(() => {});
await wfRun.stop({ graceMs: 0 }).catch(() => {});
await db.close();
await store.close();
console.log("docs/img/dashboard-{runs,pipeline,workflow,dead-letters}.png written");
