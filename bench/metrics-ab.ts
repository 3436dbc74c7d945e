/**
 * Metrics off vs on, paired in one process: the inline and the async workloads run alternately
 * off and on (the order flips each pair), and each pair's time ratio is taken. On a shared machine
 * whose speed drifts by 2× within minutes, adjacent pairs see the same load: the median of the
 * pair ratios is steadier than a ratio of medians from separate processes
 * (`bench/metrics-inline.ts`, `bench/metrics-async.ts`). Each run is timed in CPU time of this
 * process (user + system, `process.cpuUsage()`), which other tenants' load moves less than wall
 * time; the table gives both.
 *
 *   node --expose-gc --import tsx bench/metrics-ab.ts [pairs]     # default 21 pairs per workload
 *   INLINE_N=5000000 node --expose-gc --import tsx bench/metrics-ab.ts 15   # a longer inline run
 */
import { Registry } from "prom-client";
import { pipeline, type RunOptions } from "../src/index.js";
import { metrics } from "../src/metrics.js";
import { weirWork } from "./work.js";

const pairs = Number(process.argv[2] ?? 21);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const inlineSize = Number(process.env.INLINE_N ?? 1_000_000);
const array = Array.from({ length: inlineSize }, (_, i) => i);
async function inline(options: RunOptions): Promise<number> {
  const { sink, sum } = weirWork(array);
  await sink.run(options);
  return sum();
}

function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}
const task = async (x: number): Promise<number> => x + 1;
async function asyncTasks(options: RunOptions): Promise<number> {
  const r = await pipeline<number>("a").from(range(200_000)).map(task, { concurrency: 64 }).run(options);
  return r.sourceItems;
}

/** Wall and CPU milliseconds of one run. */
async function timed(work: (o: RunOptions) => Promise<number>, on: boolean): Promise<{ wall: number; cpu: number }> {
  // a fresh registry per run, its sink made before timing: an application makes it once, and
  // registering weir's metric families on a registry is not the run's cost
  const registry = new Registry();
  const options: RunOptions = on ? { metrics: metrics(registry) } : {};
  gc();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await work(options);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  if (on && (await registry.metrics()).length === 0) throw new Error("no metrics");
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`Node ${process.version}, ${pairs} pairs per workload\n`);
console.log(
  "| workload | off, CPU ms (median) | on, CPU ms (median) | on / off CPU (median of pair ratios) | p25 – p75 | on / off wall |",
);
console.log("|---|---:|---:|---:|---:|---:|");
for (const [label, work] of [
  [`inline map/filter/map, ${inlineSize.toLocaleString("en-US")} numbers`, inline],
  ["200,000 tiny async tasks, concurrency 64", asyncTasks],
] as const) {
  for (let i = 0; i < 5; i++) await timed(work, i % 2 === 0); // warm-up, both paths
  const off: number[] = [];
  const on: number[] = [];
  const ratios: number[] = [];
  const wallRatios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const first = p % 2 === 0;
    const a = await timed(work, first);
    const b = await timed(work, !first);
    const [tOn, tOff] = first ? [a, b] : [b, a];
    on.push(tOn.cpu);
    off.push(tOff.cpu);
    ratios.push(tOn.cpu / tOff.cpu);
    wallRatios.push(tOn.wall / tOff.wall);
    process.stderr.write(
      `  ${label}: pair ${p + 1}/${pairs}: CPU off ${tOff.cpu.toFixed(1)} ms, on ${tOn.cpu.toFixed(1)} ms\n`,
    );
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const q = (f: number): number => sorted[Math.floor(f * (sorted.length - 1))]!;
  console.log(
    `| ${label} | ${median(off).toFixed(1)} | ${median(on).toFixed(1)} | ${median(ratios).toFixed(3)} | ${q(0.25).toFixed(3)} – ${q(0.75).toFixed(3)} | ${median(wallRatios).toFixed(3)} |`,
  );
}
