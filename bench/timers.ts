/**
 * 1,000,000 timeouts: one `setTimeout` per item against weir's {@link TimerWheel} (one base timer
 * for all), in two variants:
 * - `cancel`: every item sets a 30 s timeout (the same duration, as per-item timeouts are) and
 *   cancels it, as when the item finishes in time. Reports set and cancel time, and the heap the
 *   pending timers hold (after a GC, before cancelling).
 * - `jitter`: the same with 10,000 distinct durations (30–40 s), as retry backoffs with jitter
 *   have: Node keeps one timer list per distinct duration.
 * - `fire`: every item sets a timeout of 0–99 ms and the run waits until all fired.
 *
 * Each (variant, contender) runs in a fresh child process (`--expose-gc`), after two warm-up
 * rounds at 100,000; the order rotates between rounds; the table shows medians of `--runs` (≥ 3).
 *
 *   node --import tsx bench/timers.ts [--runs 3] [--size 1000000]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { TimerWheel } from "../src/time/TimerWheel.js";

type Variant = "cancel" | "jitter" | "fire";
type Contender = "setTimeout" | "TimerWheel";

interface Result {
  readonly variant: Variant;
  readonly contender: Contender;
  /** ms to set every timer. */
  readonly setMs: number;
  /** ms to cancel every timer (cancel), or from the first set to the last fire (fire). */
  readonly endMs: number;
  /** Heap held by the pending timers (cancel variant), bytes. */
  readonly heapBytes: number;
}

const tag = "WEIR_TIMERS_RESULT ";
const noop = (): void => {};

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Sets and cancels `n` timeouts of 30 s (`jitter`: 30–40 s, 10,000 distinct durations). */
function cancelRound(
  contender: Contender,
  n: number,
  measureHeap: boolean,
  jitter: boolean,
): { setMs: number; endMs: number; heapBytes: number } {
  const span = jitter ? 10_000 : 1;
  const wheel = new TimerWheel();
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let setMs: number;
  let heapBytes = 0;
  let endMs: number;
  if (contender === "setTimeout") {
    const handles = new Array<NodeJS.Timeout>(n);
    for (let i = 0; i < n; i++) handles[i] = setTimeout(noop, 30_000 + (i % span));
    setMs = performance.now() - t0;
    if (measureHeap) {
      gc();
      heapBytes = process.memoryUsage().heapUsed - heap0;
    }
    const t1 = performance.now();
    for (let i = 0; i < n; i++) clearTimeout(handles[i]);
    endMs = performance.now() - t1;
  } else {
    const handles = new Array<{ cancel(): void }>(n);
    for (let i = 0; i < n; i++) handles[i] = wheel.setTimer(noop, 30_000 + (i % span));
    setMs = performance.now() - t0;
    if (measureHeap) {
      gc();
      heapBytes = process.memoryUsage().heapUsed - heap0;
    }
    const t1 = performance.now();
    for (let i = 0; i < n; i++) handles[i]!.cancel();
    endMs = performance.now() - t1;
  }
  return { setMs, endMs, heapBytes };
}

/** Sets `n` timeouts of 0–99 ms and waits for every one to fire. */
function fireRound(contender: Contender, n: number): Promise<{ setMs: number; endMs: number; heapBytes: number }> {
  const wheel = new TimerWheel();
  // The wheel's base timer is unref'd: keep the process alive while waiting.
  const keepAlive = setInterval(noop, 1000);
  return new Promise((resolve) => {
    let left = n;
    const t0 = performance.now();
    const done = (): void => {
      if (--left === 0) {
        clearInterval(keepAlive);
        resolve({ setMs, endMs: performance.now() - t0, heapBytes: 0 });
      }
    };
    if (contender === "setTimeout") for (let i = 0; i < n; i++) setTimeout(done, i % 100);
    else for (let i = 0; i < n; i++) wheel.setTimer(done, i % 100);
    const setMs = performance.now() - t0;
  });
}

async function child(variant: Variant, contender: Contender, n: number): Promise<void> {
  for (let w = 0; w < 2; w++) {
    if (variant === "fire") await fireRound(contender, 100_000);
    else cancelRound(contender, 100_000, false, variant === "jitter");
  }
  gc();
  const r = variant === "fire" ? await fireRound(contender, n) : cancelRound(contender, n, true, variant === "jitter");
  process.stdout.write(tag + JSON.stringify({ variant, contender, ...r }) + "\n");
}

function runChild(variant: Variant, contender: Contender, n: number): Promise<Result> {
  const file = fileURLToPath(import.meta.url);
  const args = ["--expose-gc", "--import", "tsx", file, "--child", `${variant}:${contender}`, "--size", String(n)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(tag));
      if (code !== 0 || line === undefined) reject(new Error(`${variant}/${contender}: exit ${String(code)}\n${out}`));
      else resolve(JSON.parse(line.slice(tag.length)) as Result);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function parent(n: number, runs: number): Promise<void> {
  const jobs: [Variant, Contender][] = [
    ["cancel", "setTimeout"],
    ["cancel", "TimerWheel"],
    ["jitter", "setTimeout"],
    ["jitter", "TimerWheel"],
    ["fire", "setTimeout"],
    ["fire", "TimerWheel"],
  ];
  const results = new Map<string, Result[]>(jobs.map(([v, c]) => [`${v}:${c}`, []]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const [v, c] = jobs[(k + round) % jobs.length]!;
      const r = await runChild(v, c, n);
      results.get(`${v}:${c}`)!.push(r);
      process.stderr.write(
        `  [timers ${round + 1}/${runs}] ${v.padEnd(6)} ${c.padEnd(10)} set ${r.setMs.toFixed(0)} ms, ${v === "fire" ? "all fired" : "cancel"} ${r.endMs.toFixed(0)} ms\n`,
      );
    }
  }
  const med = (v: Variant, c: Contender, f: (r: Result) => number): number => median(results.get(`${v}:${c}`)!.map(f));
  const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  const lines = [
    `### Timers: ${n.toLocaleString("en-US")} timeouts, setTimeout per item vs TimerWheel (10 ms resolution)`,
    "",
    `Node ${process.version}, ${process.platform}/${process.arch}; median of ${runs} fresh processes per row, order rotated.`,
    "",
    "| variant | contender | set | cancel / until all fired | total | heap held while pending | total × setTimeout | heap × setTimeout |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const v of ["cancel", "jitter", "fire"] as const) {
    const pending = v !== "fire";
    const baseTotal = med(v, "setTimeout", (r) => (pending ? r.setMs + r.endMs : r.endMs));
    const baseHeap = med(v, "setTimeout", (r) => r.heapBytes);
    for (const c of ["setTimeout", "TimerWheel"] as const) {
      const set = med(v, c, (r) => r.setMs);
      const end = med(v, c, (r) => r.endMs);
      const total = med(v, c, (r) => (pending ? r.setMs + r.endMs : r.endMs));
      const heap = med(v, c, (r) => r.heapBytes);
      lines.push(
        `| ${v} | ${c === "TimerWheel" ? "**TimerWheel**" : c} | ${fmt(set)} | ${fmt(end)} | ${fmt(total)} | ${pending ? `${(heap / 2 ** 20).toFixed(0)} MB` : "–"} | ` +
          `${ratio(total, baseTotal)} | ${pending ? ratio(heap, baseHeap) : "–"} |`,
      );
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
}

const { values } = parseArgs({
  options: { child: { type: "string" }, size: { type: "string" }, runs: { type: "string" } },
  strict: true,
});
const size = Number(values.size ?? 1_000_000);
if (values.child !== undefined) {
  const [variant, contender] = values.child.split(":") as [Variant, Contender];
  await child(variant, contender, size);
} else {
  await parent(size, Math.max(1, Number(values.runs ?? 3)));
}
