// Checks the direction of imports in src/ (run by `npm test`):
// 1. The core (`src/index.ts` and everything it imports at run time) never loads an optional
//    subsystem: SQLite, Redis, BullMQ, HTTP servers, metrics or browser code. Those are subpath
//    exports (weir/sqlite, weir/redis, weir/bullmq, ...), loaded only when imported.
//    Nor does it load, when imported, what weir loads on first use (bench/import-cost.ts): the pool
//    code (a pool stage's first run imports it), node:crypto, node:v8 and msgpackr
//    (src/load/onFirstUse.ts), worker_threads, child_process and perf_hooks.
// 2. Lower layers never import higher ones (type-only imports are free: they vanish at run time).
//    One seam is let through: src/load/engines.ts imports the engines (src/engines/), imports
//    the build swaps for a require() of each on first use (scripts/build.mjs, "The engines").
// The built package is a bundle (scripts/build.mjs) that keeps this graph's split points: what the
// sources import with `import()` is a chunk of its own, loaded on use. test/packaging/bundle.test.ts
// checks the same rule on dist/ (what `import { pipeline } from "weir"` loads).
// Usage: node scripts/check-imports.mjs
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const src = resolve("src");

/** Folders from the bottom up; a folder may import its own layer and the layers below it. */
const layers = [
  ["errors", "options", "graph", "time", "state"],
  ["events", "channel", "stats", "policy", "stage", "load"],
  ["executor", "source"],
  ["plan", "run", "store"],
  ["pipeline", "workflow", "runtime"],
  ["replay", "fleet", "metrics", "otel", "top", "testing", "dashboard", "cli", "engines"],
];
/** Modules the core must never load (packages, and src folders or files that hold optional subsystems). */
const optionalPackages = [
  "better-sqlite3",
  "ioredis",
  "bullmq",
  "node:http",
  "node:https",
  "prom-client",
  "playwright-core",
  "@opentelemetry/api",
  "@opentelemetry", // every OpenTelemetry package (weir/otel uses the API's types only)
  // loaded on first use
  "msgpackr",
  "node:crypto",
  "node:v8",
  "node:worker_threads",
  "node:child_process",
  "node:perf_hooks", // src/time/mainLoopDelay.ts requires it on the first hold
];
const optionalSources = [
  "store/sqlite/",
  "fleet/",
  "sqlite.ts",
  "redis.ts",
  "bullmq.ts",
  "dashboard",
  "metrics",
  "otel",
  "cli/",
  // loaded on a pool stage's first run (LazyPoolExecutor)
  "executor/pool/executor/PoolExecutor.ts",
  "executor/pool/workers/PoolRegistry.ts",
  "executor/pool/workers/WorkerPool.ts",
  "executor/pool/handle/",
  "executor/pool/runtime/",
];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Runtime imports of a file: [specifier, resolved path or null for a package]. */
function imports(file) {
  const text = readFileSync(file, "utf8");
  const out = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // import type / export type
    const spec = m[4] ?? m[5];
    const clause = m[3] ?? "";
    // `import { type A, type B }`: nothing loaded at run time
    const names = /^\{([^}]*)\}$/s.exec(clause.trim());
    if (names && names[1].split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "))) continue;
    if (spec.startsWith(".")) {
      const path = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
      out.push([spec, existsSync(path) ? path : null]);
    } else out.push([spec, null]);
  }
  return out;
}

/** Imports the build turns into a load on first use: [importing file, the folder it may import], under src/. */
const seams = [["load/engines.ts", "engines"]];

const files = walk(src);
const graph = new Map(files.map((f) => [f, imports(f)]));
const problems = [];

// 1. reachability from the core entry
const seen = new Set();
const via = new Map();
const stack = [join(src, "index.ts")];
while (stack.length > 0) {
  const file = stack.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  for (const [spec, path] of graph.get(file) ?? []) {
    const chain = () => [...trail(file), spec].join(" → ");
    if (path === null && optionalPackages.some((p) => spec === p || spec.startsWith(`${p}/`)))
      problems.push(`the core loads ${spec}: ${chain()}`);
    if (path !== null) {
      const rel = relative(src, path);
      if (optionalSources.some((o) => rel.startsWith(o) || rel === o))
        problems.push(`the core loads src/${rel}: ${chain()}`);
      if (!via.has(path)) via.set(path, file);
      stack.push(path);
    }
  }
}
function trail(file) {
  const out = [];
  for (let f = file; f !== undefined; f = via.get(f)) out.unshift(relative(src, f));
  return out;
}

// 2. layers
const layerOf = new Map(layers.flatMap((names, i) => names.map((n) => [n, i])));
for (const name of readdirSync(src)) {
  if (statSync(join(src, name)).isDirectory() && !layerOf.has(name))
    problems.push(`src/${name}/ is in no layer: add it to scripts/check-imports.mjs`);
}
for (const [file, deps] of graph) {
  const from = relative(src, file).split("/")[0];
  const level = layerOf.get(from);
  if (level === undefined) continue; // entry files (index.ts, sqlite.ts, ...) sit above every layer
  for (const [spec, path] of deps) {
    if (path === null) continue;
    const to = relative(src, path).split("/")[0];
    const target = layerOf.get(to);
    const seam = seams.some(([a, b]) => relative(src, file) === a && to === b);
    if (target === undefined) problems.push(`src/${relative(src, file)} imports the entry file ${spec}`);
    else if (target > level && !seam)
      problems.push(`src/${relative(src, file)} (${from}) imports ${spec} (${to}, a higher layer)`);
  }
}

if (problems.length > 0) {
  console.error(`import direction: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`import direction: ${files.length} files, ${seen.size} in the core, no problem`);
