// Builds dist/ (run by `npm run build`):
// 1. removes the old dist/, so no stale module of an earlier build is ever loaded;
// 2. tsc writes the type declarations (dist/**/*.d.ts, beside where the modules were: the
//    package's `types` paths);
// 3. esbuild bundles the JavaScript with code splitting: every public subpath (package.json
//    `exports`), the CLI and the two worker runtime entries are entry points, each at a stable path
//    (src/sqlite.ts → dist/sqlite.js, src/cli/main.ts → dist/cli/main.js, …); the code they share
//    lives once in dist/chunks/, so the CLI and a job importing "weir" share one copy of every
//    module (one class per error, one registry of pools). Fewer, larger files import several times
//    faster than one file per module (bench/import-cost.ts). Packages stay external (node_modules);
//    a `import()` in the source stays a split point: what it loads is its own chunk, loaded on use.
// 4. copies the dashboard's page (src/dashboard/static → dist/dashboard/static).
// Usage: node scripts/build.mjs
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";

/** Entry points that are no subpath export: the CLI (bin/weir.js) and the files a worker thread or child process starts from (src/load/shippedFile.ts). */
const internalEntries = [
  "src/cli/main.ts",
  "src/executor/pool/runtime/threadEntry.ts",
  "src/executor/pool/runtime/processEntry.ts",
];

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const subpaths = Object.values(pkg.exports)
  .map((target) => (typeof target === "string" ? target : target.import))
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"));

rmSync("dist", { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const types = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (types.status !== 0) process.exit(types.status ?? 1);

await build({
  entryPoints: [...subpaths, ...internalEntries],
  outdir: "dist",
  outbase: "src",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  // the sources ride inside the maps (sourcesContent), so the maps are useful without src/
  sourcemap: true,
  logLevel: "warning",
});

cpSync("src/dashboard/static", "dist/dashboard/static", { recursive: true });
