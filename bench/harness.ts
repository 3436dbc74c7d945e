/**
 * The parent side of the benchmark harness. Every measurement is a fresh child process
 * (`node --expose-gc --import tsx bench/<suite>.ts --contender X --size N`) that warms its contender
 * up and times one call; contenders run one at a time (this machine has 2 cores), their order
 * rotates between rounds, and the table shows the median of the rounds with ratios to the limit and
 * to the best peer measured in the same invocation.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { resultTag, type ChildResult, type Loader, type Suite } from "./suite.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Options of {@link runSuites}. */
export interface HarnessOptions {
  /** Rounds per contender and size, overriding the suite's. At least 3 for a recorded table. */
  readonly runs?: number;
  /** Overrides every suite's {@link Suite.loader}. */
  readonly loader?: Loader;
  /** Extra node flags for every child (e.g. `--max-semi-space-size=4`). */
  readonly nodeArgs?: readonly string[];
  /** Only these contenders (by name; those a suite lacks are ignored). @default every contender */
  readonly contenders?: readonly string[];
  /** Where progress lines go. @default process.stderr */
  readonly log?: (line: string) => void;
}

/**
 * Parses the command line of `bench/run.ts` and of a suite run directly: suite names, then
 * `--runs N` (rounds per row), `--loader tsx|bundle`, `--node-arg=<flag>` (repeatable) and
 * `--contenders a,b` (only those rows).
 */
export function harnessArgs(argv: readonly string[]): { names: string[]; options: HarnessOptions } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      loader: { type: "string" },
      "node-arg": { type: "string", multiple: true },
      contenders: { type: "string" },
    },
    allowPositionals: true,
  });
  let options: HarnessOptions = {};
  if (values.runs !== undefined) {
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new Error(`--runs: expected a positive integer, received ${values.runs}`);
    options = { ...options, runs };
  }
  if (values.loader !== undefined) {
    if (values.loader !== "tsx" && values.loader !== "bundle")
      throw new Error(`--loader: expected tsx or bundle, received ${values.loader}`);
    options = { ...options, loader: values.loader };
  }
  if (values["node-arg"] !== undefined) options = { ...options, nodeArgs: values["node-arg"] };
  if (values.contenders !== undefined) options = { ...options, contenders: values.contenders.split(",") };
  return { names: positionals, options };
}

/** How a suite's children are started: the node arguments before `--contender`. */
interface Launch {
  readonly args: readonly string[];
  readonly loader: Loader;
  readonly nodeArgs: readonly string[];
  dispose(): void;
}

/** Bundles the suite's module with esbuild (a dependency of tsx) when its loader is `bundle`. */
async function prepareLaunch(suite: Suite, loader: Loader, nodeArgs: readonly string[]): Promise<Launch> {
  const entry = fileURLToPath(suite.module);
  if (loader === "tsx")
    return { args: ["--expose-gc", ...nodeArgs, "--import", "tsx", entry], loader, nodeArgs, dispose: () => {} };
  const { build } = await import("esbuild");
  const dir = mkdtempSync(join(tmpdir(), "weir-bench-"));
  const outfile = join(dir, `${suite.name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["esbuild"],
    logLevel: "warning",
  });
  return {
    args: ["--expose-gc", ...nodeArgs, outfile],
    loader,
    nodeArgs,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface Job {
  readonly contender: string;
  readonly size: number;
}

/** Runs one child and parses its result line. */
function runChildProcess(suite: Suite, launch: Launch, job: Job): Promise<ChildResult> {
  const args = [
    ...(suite.contenders[job.contender]?.nodeFlags ?? []),
    ...launch.args,
    "--contender",
    job.contender,
    "--size",
    String(job.size),
    "--warmups",
    String(suite.warmups),
    "--warmup-size",
    String(Math.min(suite.warmupSize, job.size)),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(resultTag));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${suite.name}/${job.contender} size ${job.size}: exit ${String(code)}\n${err || out}`));
        return;
      }
      resolve(JSON.parse(line.slice(resultTag.length)) as ChildResult);
    });
  });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median figures of one contender at one size. */
export interface Summary {
  readonly contender: string;
  readonly size: number;
  readonly runs: readonly ChildResult[];
  readonly itemsPerSecond: number;
  readonly minItemsPerSecond: number;
  readonly maxItemsPerSecond: number;
  readonly peakRss: number;
  readonly rssBefore: number;
  readonly checksums: readonly number[];
}

/** A suite's results and how they were measured. */
export interface SuiteResult {
  readonly suite: Suite;
  readonly runs: number;
  readonly loader: Loader;
  readonly nodeArgs: readonly string[];
  readonly summaries: readonly Summary[];
}

/** Runs every contender of `suite` at every size, `runs` rounds with rotated order. */
export async function measureSuite(suite: Suite, options: HarnessOptions = {}): Promise<SuiteResult> {
  const runs = options.runs ?? suite.runs;
  const launch = await prepareLaunch(suite, options.loader ?? suite.loader ?? "tsx", options.nodeArgs ?? []);
  try {
    return {
      suite,
      runs,
      loader: launch.loader,
      nodeArgs: launch.nodeArgs,
      summaries: await measureJobs(suite, launch, runs, options),
    };
  } finally {
    launch.dispose();
  }
}

async function measureJobs(suite: Suite, launch: Launch, runs: number, options: HarnessOptions): Promise<Summary[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const jobs: Job[] = [];
  const names = Object.keys(suite.contenders).filter((c) => options.contenders?.includes(c) ?? true);
  for (const size of suite.sizes) for (const contender of names) jobs.push({ contender, size });
  const results = new Map<Job, ChildResult[]>(jobs.map((j) => [j, []]));
  for (let round = 0; round < runs; round++) {
    // Rotate by one each round, so no contender always runs first (cold disk cache, CPU clock).
    const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]!);
    for (const job of order) {
      const r = await runChildProcess(suite, launch, job);
      results.get(job)!.push(r);
      log(
        `  [${suite.name} ${round + 1}/${runs}] ${job.contender.padEnd(18)} n=${job.size.toLocaleString("en-US").padEnd(10)} ${fmtRate(r.itemsPerSecond).padStart(9)}/s  peak ${fmtMB(r.peakRss)}`,
      );
    }
  }
  return jobs.map((job) => {
    const rs = results.get(job)!;
    const rates = rs.map((r) => r.itemsPerSecond);
    return {
      contender: job.contender,
      size: job.size,
      runs: rs,
      itemsPerSecond: median(rates),
      minItemsPerSecond: Math.min(...rates),
      maxItemsPerSecond: Math.max(...rates),
      peakRss: median(rs.map((r) => r.peakRss)),
      rssBefore: median(rs.map((r) => r.rssBefore)),
      checksums: [...new Set(rs.map((r) => r.checksum))],
    };
  });
}

/** `12.3 M`, `845 k`. */
export function fmtRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(perSecond >= 1e8 ? 0 : perSecond >= 1e7 ? 1 : 2)} M`;
  return `${(perSecond / 1e3).toFixed(0)} k`;
}

export function fmtMB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toFixed(3)}×`;
}

/** Checks that every contender at a size reported the same checksum; returns the problems. */
function checksumProblems(summaries: readonly Summary[]): string[] {
  const problems: string[] = [];
  for (const size of new Set(summaries.map((s) => s.size))) {
    const at = summaries.filter((s) => s.size === size);
    const all = new Set(at.flatMap((s) => s.checksums));
    if (all.size > 1)
      problems.push(
        `n=${size}: checksums differ: ${at.map((s) => `${s.contender}=${s.checksums.join("/")}`).join(", ")}`,
      );
  }
  return problems;
}

/** The markdown table of a throughput suite: items/s, × limit, × best peer, peak RSS. */
function throughputTable(suite: Suite, summaries: readonly Summary[]): string {
  const rows: string[] = [
    "| contender | items/s (median) | min – max | × limit | × best peer | peak RSS |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const size of suite.sizes) {
    const at = summaries.filter((s) => s.size === size);
    const limit = at.find((s) => suite.contenders[s.contender]!.role === "limit");
    const peers = at.filter((s) => suite.contenders[s.contender]!.role === "peer");
    const bestPeer =
      peers.length === 0 ? undefined : peers.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    for (const s of at) {
      const c = suite.contenders[s.contender]!;
      const label =
        c.role === "weir"
          ? `**${c.label}**`
          : c.role === "limit"
            ? `${c.label} (limit)`
            : c.role === "reference"
              ? `${c.label} (reference)`
              : c.label;
      const rate = c.role === "weir" ? `**${fmtRate(s.itemsPerSecond)}**` : fmtRate(s.itemsPerSecond);
      rows.push(
        `| ${label} | ${rate} | ${fmtRate(s.minItemsPerSecond)} – ${fmtRate(s.maxItemsPerSecond)} | ` +
          `${limit === undefined ? "–" : fmtRatio(s.itemsPerSecond / limit.itemsPerSecond)} | ` +
          `${bestPeer === undefined ? "–" : fmtRatio(s.itemsPerSecond / bestPeer.itemsPerSecond)} | ${fmtMB(s.peakRss)} |`,
      );
    }
    if (bestPeer !== undefined) rows.push(`| _best peer: ${suite.contenders[bestPeer.contender]!.label}_ | | | | | |`);
  }
  return rows.join("\n");
}

/** The markdown table of a memory suite: peak RSS per size, × best peer at the same size. */
function rssTable(suite: Suite, summaries: readonly Summary[]): string {
  const rows: string[] = [
    "| contender | items | peak RSS (median) | RSS before the timed run | items/s | × best peer (RSS) |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    const c = suite.contenders[s.contender]!;
    const peers = summaries.filter((p) => p.size === s.size && suite.contenders[p.contender]!.role === "peer");
    const best = peers.length === 0 ? undefined : Math.min(...peers.map((p) => p.peakRss));
    const label = c.role === "weir" ? `**${c.label}**` : c.label;
    const rss = c.role === "weir" ? `**${fmtMB(s.peakRss)}**` : fmtMB(s.peakRss);
    rows.push(
      `| ${label} | ${s.size.toLocaleString("en-US")} | ${rss} | ${fmtMB(s.rssBefore)} | ${fmtRate(s.itemsPerSecond)} | ${best === undefined ? "–" : fmtRatio(s.peakRss / best)} |`,
    );
  }
  return rows.join("\n");
}

/** One line naming the machine and runtime the tables were measured on. */
export function machineLine(): string {
  const cpu = cpus();
  return `Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
}

/** Renders a suite's results as a markdown section. */
export function renderSuite({ suite, summaries, runs, loader, nodeArgs }: SuiteResult): string {
  const table = suite.metric === "throughput" ? throughputTable(suite, summaries) : rssTable(suite, summaries);
  const problems = checksumProblems(summaries);
  const lines = [
    `### ${suite.title}`,
    "",
    `${suite.work}. Median of ${runs} fresh processes per row (${loader === "tsx" ? "`node --import tsx`" : "esbuild bundle under plain `node`"}${nodeArgs.length > 0 ? ` with \`${nodeArgs.join(" ")}\`` : ""}), ` +
      `${suite.warmups} warm-up calls (n=${suite.warmupSize.toLocaleString("en-US")}) before the timed call.`,
    "",
    table,
  ];
  if (problems.length > 0) lines.push("", ...problems.map((p) => `**CHECKSUM MISMATCH** ${p}`));
  return lines.join("\n");
}

/** Measures and prints each suite in turn (markdown on stdout, progress on stderr). */
export async function runSuites(suites: readonly Suite[], options: HarnessOptions = {}): Promise<void> {
  process.stdout.write(`${machineLine()}\n\n`);
  for (const suite of suites) {
    const t0 = performance.now();
    const result = await measureSuite(suite, options);
    process.stdout.write(renderSuite(result) + "\n\n");
    process.stderr.write(`  (${suite.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    if (checksumProblems(result.summaries).length > 0) process.exitCode = 1;
  }
}
