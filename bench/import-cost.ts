/**
 * What importing weir costs before any pipeline exists: wall time and peak RSS of a fresh
 * `node` process that imports weir's built package (`dist/`, through the package's own name and
 * `exports`, as a user's code does), against a fresh `node` process that imports nothing, in the
 * same invocation. Build first (`npm run build`: the bundle scripts/build.mjs makes).
 *
 *   node --import tsx bench/import-cost.ts             # 15 rounds
 *   node --import tsx bench/import-cost.ts --runs 31
 *   node --import tsx bench/import-cost.ts --before /tmp/weir-main   # also rows for another build
 *
 * `--before <dir>` adds the import rows for another checkout's built package (build it there
 * first), so a change to the build is measured before and after in one invocation, rows
 * interleaved. Those children run in that checkout (their module files are written there), so
 * `import "weir"` resolves by the package's own name there as it does here: resolving the name
 * through `package.json` costs about 2 ms of its own on Node 20, which an import by path skips.
 *
 * The first table's child is `node --input-type=module -e <script>`: a process that loads no file,
 * so its first `import` of a file also pays for Node's ES module file loader (resolving, reading
 * files through `fs/promises`, the modules behind them): about 6 ms of CPU on Node 20 that a
 * program started as `node job.mjs` has paid before its first import; the row that imports one
 * empty module file shows it. The second table measures
 * that program: each child runs an ES module file (written under a temporary folder in the
 * package, so `import "weir"` resolves as in a user's package) against a module file that imports
 * nothing.
 *
 * Each round runs every row once, one process at a time, in an order that rotates by one each
 * round; the table shows medians and the extra cost over plain node. The child measures its own
 * import (`performance.now()` and `process.cpuUsage()` around `await import(...)`) and reports
 * `maxRSS` and its CPU time (user + system: on a machine shared with other work, a steadier
 * measure of start-up cost than wall time); the parent times the whole process, start to exit.
 * The import's own CPU time leaves out the start-up and exit every row pays, whose spread on a
 * shared machine is larger than the differences between two builds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Row {
  readonly label: string;
  /** The module body run by the child (ESM); it must leave `import` timing to the wrapper. */
  readonly body: string;
  /** Run as a module file (the second table) rather than with `-e`. */
  readonly file?: true;
  /** The package the child runs in, where `"weir"` resolves (this one unless said). */
  readonly dir?: string;
}

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const beforeDir = flag("--before");
const before = beforeDir === undefined ? undefined : resolve(beforeDir);

/** Where the module files of the second table are written, in each package measured (removed at the end). */
const filesIn = new Map<string, string>();
const filesOf = (dir: string): string => {
  let files = filesIn.get(dir);
  if (files === undefined) filesIn.set(dir, (files = mkdtempSync(join(dir, ".import-cost-"))));
  return files;
};
process.on("exit", () => {
  for (const files of filesIn.values()) rmSync(files, { recursive: true, force: true });
});

/** An empty ES module file: what the first import of a file costs a `-e` child, whatever the file holds. */
const emptyFile = join(filesOf(root), "empty.mjs");
writeFileSync(emptyFile, "");

const importPipeline = 'const { pipeline } = await import("weir"); void pipeline;';
const importAndRun =
  'const { pipeline } = await import("weir");' +
  'await pipeline("p").from([1, 2, 3]).map((x) => x * 2).to(() => {}).run();';
const rows: Row[] = [
  { label: "plain node (imports nothing)", body: "" },
  { label: "plain node importing one empty ES module", body: 'await import("data:text/javascript,");' },
  { label: "plain node importing one empty ES module file", body: `await import(${JSON.stringify(emptyFile)});` },
  { label: 'import { pipeline } from "weir"', body: importPipeline },
  {
    label: 'import { pipeline, workflow, worker } from "weir"',
    body: 'const { pipeline, workflow, worker } = await import("weir"); void pipeline, workflow, worker;',
  },
  { label: "import weir, run a 1-stage pipeline", body: importAndRun },
];
if (before !== undefined) {
  rows.push(
    { label: 'before: import { pipeline } from "weir"', body: importPipeline, dir: before },
    { label: "before: import weir, run a 1-stage pipeline", body: importAndRun, dir: before },
  );
}

rows.push(
  { label: "plain node running an empty ES module file", body: "", file: true },
  { label: 'a module file: import { pipeline } from "weir"', body: importPipeline, file: true },
);
if (before !== undefined) {
  rows.push({
    label: 'before: a module file: import { pipeline } from "weir"',
    body: importPipeline,
    file: true,
    dir: before,
  });
}

interface Sample {
  readonly wallMs: number;
  readonly importMs: number;
  /** CPU time (user + system) the child spent in its body (the import): no start-up or exit in it. */
  readonly importCpuMs: number;
  readonly maxRssMb: number;
  /** CPU time (user + system) of the whole child process: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
}

function sample(row: Row): Sample {
  const script =
    `const c0 = process.cpuUsage(); const t0 = performance.now(); ${row.body} const importMs = performance.now() - t0;` +
    "const cpu = process.cpuUsage(); const importCpu = process.cpuUsage(c0);" +
    "process.stdout.write(JSON.stringify({ importMs, importCpuMs: (importCpu.user + importCpu.system) / 1000, maxRss: process.resourceUsage().maxRSS, cpuMs: (cpu.user + cpu.system) / 1000 }));";
  const dir = row.dir ?? root;
  let args = ["--input-type=module", "-e", script];
  if (row.file === true) {
    const file = join(filesOf(dir), `row-${rows.indexOf(row)}.mjs`);
    writeFileSync(file, script);
    args = [file];
  }
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`${row.label}: exit ${child.status}\n${child.stderr}`);
  const out = JSON.parse(child.stdout) as { importMs: number; importCpuMs: number; maxRss: number; cpuMs: number };
  return {
    wallMs,
    importMs: out.importMs,
    importCpuMs: out.importCpuMs,
    maxRssMb: out.maxRss / 1024,
    cpuMs: out.cpuMs,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const runs = Number(flag("--runs") ?? 15);
for (const index of [join(root, "dist/index.js"), ...(before === undefined ? [] : [join(before, "dist/index.js")])]) {
  if (!existsSync(index)) {
    process.stderr.write(`${index} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
}

const samples = rows.map((): Sample[] => []);
for (let round = 0; round < runs; round++) {
  for (let k = 0; k < rows.length; k++) {
    const i = (k + round) % rows.length;
    samples[i]!.push(sample(rows[i]!));
  }
  process.stderr.write(`round ${round + 1}/${runs}\n`);
}

const med = samples.map((s) => ({
  wallMs: median(s.map((x) => x.wallMs)),
  importMs: median(s.map((x) => x.importMs)),
  importCpuMs: median(s.map((x) => x.importCpuMs)),
  maxRssMb: median(s.map((x) => x.maxRssMb)),
  cpuMs: median(s.map((x) => x.cpuMs)),
}));
const fmt = (n: number): string => n.toFixed(1);
const signed = (n: number): string => (n >= 0 ? "+" : "") + n.toFixed(1);
console.log(`Node ${process.version}, median of ${runs} fresh processes per row`);
for (const [title, file, over] of [
  ["`node --input-type=module -e`", false, "plain node"],
  ["`node <module file>`", true, "the empty module file"],
] as const) {
  const indexes = rows.flatMap((row, i) => ((row.file === true) === file ? [i] : []));
  const base = med[indexes[0]!]!;
  console.log(`\n${title}\n`);
  console.log(
    `| row | process CPU ms | over ${over} | process wall ms | over ${over} | import ms | import CPU ms | peak RSS MB | over ${over} |`,
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const i of indexes) {
    const m = med[i]!;
    console.log(
      `| ${rows[i]!.label} | ${fmt(m.cpuMs)} | ${signed(m.cpuMs - base.cpuMs)} | ${fmt(m.wallMs)} | ${signed(m.wallMs - base.wallMs)} | ` +
        `${fmt(m.importMs)} | ${fmt(m.importCpuMs)} | ` +
        `${fmt(m.maxRssMb)} | ${signed(m.maxRssMb - base.maxRssMb)} |`,
    );
  }
}
