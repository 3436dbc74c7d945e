/**
 * What the dashboard costs a running pipeline: an async stage at concurrency 64 over `--size`
 * items (then a sink), timed with no dashboard, with a dashboard sampling the run (no page open),
 * with one page's server-sent event stream read in the process, and with a real page open in
 * Chromium (playwright-core; skipped when `chromium` is not on the PATH; the browser shares the
 * machine's cores, so this row measures the whole machine, not only the server).
 *
 * Each (contender, round) runs in a fresh child process after two warm-up runs at a tenth of the
 * size; the order rotates between rounds; the table shows the median items/s of `--runs` (≥ 3)
 * and the ratio to no dashboard.
 *
 *   node --import tsx bench/dashboard.ts [--runs 3] [--size 2000000]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pipeline } from "../src/index.js";
import { dashboard, type Dashboard } from "../src/dashboard.js";
import { chromiumPath, launchChromium } from "../test/dashboard/chromium.js";

type Contender = "none" | "server" | "sse" | "chromium";
const contenders: Contender[] = ["none", "server", "sse", "chromium"];
const tag = "WEIR_DASHBOARD_RESULT ";

async function timedRun(size: number, contender: Contender): Promise<number> {
  const p = pipeline("bench")
    .from(Array.from({ length: size }, (_, i) => i))
    .map(async (x: number) => x + 1, { name: "inc", concurrency: 64 })
    .to(() => {}, { name: "drop" });
  // the browser starts before the clock (a page is opened on a browser already running)
  const browser = contender === "chromium" ? await launchChromium() : undefined;
  const t0 = performance.now();
  const run = p.run();
  let db: Dashboard | undefined;
  let close = async (): Promise<void> => {};
  if (contender !== "none") {
    db = await dashboard({ runs: [{ run, plan: p.plan() }], print: false });
    const url = db.url;
    if (contender === "sse") {
      const ac = new AbortController();
      const res = await fetch(`${url.slice(0, url.indexOf("/?"))}/api/runs/live-1/events?token=${db.token}`, {
        signal: ac.signal,
      });
      void (async () => {
        try {
          for await (const _ of res.body!) void _;
        } catch {
          // aborted
        }
      })();
      close = async () => ac.abort();
    }
    if (browser !== undefined) {
      const page = await browser.newPage();
      await page.goto(`${url}#/run/live-1`);
    }
  }
  await run;
  const ms = performance.now() - t0;
  await close();
  await browser?.close();
  await db?.close();
  return (size * 1000) / ms;
}

async function child(contender: Contender, size: number): Promise<void> {
  for (let i = 0; i < 2; i++) await timedRun(Math.ceil(size / 10), "none");
  const itemsPerSecond = await timedRun(size, contender);
  process.stdout.write(`${tag}${JSON.stringify({ contender, itemsPerSecond })}\n`);
}

function runChild(contender: Contender, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const file = fileURLToPath(import.meta.url);
    const c = spawn(process.execPath, ["--import", "tsx", file, "--child", contender, "--size", String(size)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(tag));
      if (code !== 0 || line === undefined) reject(new Error(`${contender}: exit ${code}\n${out}`));
      else resolve((JSON.parse(line.slice(tag.length)) as { itemsPerSecond: number }).itemsPerSecond);
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { values } = parseArgs({
  options: { runs: { type: "string" }, size: { type: "string" }, child: { type: "string" } },
});
const size = Number(values.size ?? 2_000_000);
if (values.child !== undefined) {
  await child(values.child as Contender, size);
} else {
  const runs = Math.max(3, Number(values.runs ?? 3));
  const rows = contenders.filter((c) => c !== "chromium" || chromiumPath() !== undefined);
  const results = new Map<Contender, number[]>(rows.map((c) => [c, []]));
  for (let r = 0; r < runs; r++) {
    const order = rows.map((_, i) => rows[(i + r) % rows.length]!);
    for (const c of order) {
      const v = await runChild(c, size);
      results.get(c)!.push(v);
      process.stderr.write(`round ${r + 1}: ${c} ${Math.round(v).toLocaleString("en")} items/s\n`);
    }
  }
  const base = median(results.get("none")!);
  const label: Record<Contender, string> = {
    none: "no dashboard",
    server: "dashboard, no page open (sampling every 500 ms)",
    sse: "dashboard, one page's event stream read",
    chromium: "dashboard, one page open in Chromium (same machine)",
  };
  console.log(
    `| ${size.toLocaleString("en")} items, async stage at concurrency 64 | items/s (median of ${runs}) | min–max | × no dashboard |`,
  );
  console.log("|---|---:|---:|---:|");
  for (const c of rows) {
    const xs = results.get(c)!;
    const m = median(xs);
    const f = (x: number): string => Math.round(x).toLocaleString("en");
    console.log(`| ${label[c]} | ${f(m)} | ${f(Math.min(...xs))}–${f(Math.max(...xs))} | ${(m / base).toFixed(3)} |`);
  }
}
