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
//    The main entry's code is one chunk (the core): esbuild puts each module in the chunk of the
//    set of entry points that reach it, so every other entry point of the package (the other
//    subpaths, the CLI, each module loaded by `import()`) is built from a wrapper that imports
//    src/index.ts first. Every module of the core is then reached by all of them alike, and
//    `import "weir"` loads three files instead of thirty-odd small chunks, in about half the CPU
//    time and memory over plain node (bench/import-cost.ts): the links between chunks were the
//    cost. The worker runtime entries are not wrapped: a worker loads its runtime, not the core.
// 4. empties every line of a built module that holds only a comment. esbuild keeps doc comments;
//    they were a sixth of the core (94 of 540 KB), and V8 scans them at every import: the core
//    imports about 8 % faster without them (bench/README.md, "Import cost"). The lines stay, empty,
//    so line numbers in stack traces and every position a source map names stay where they were.
//    Then makes every built module ASCII-only. esbuild escapes non-ASCII characters in strings, but
//    a comment it keeps beside code may hold a few ("…", "→"); one such character makes V8 hold the
//    whole module's source as two-byte text: 0.5 MB more memory and 0.5 ms more to import the core.
//    Each one becomes one ASCII character, so every column a source map names stays where it was.
//    The module minified before and after must be the same code, which proves only comments
//    changed (a string holding a comment-like line fails the build: keep comments out of code
//    kept in strings).
// 5. copies the dashboard's page (src/dashboard/static → dist/dashboard/static).
// Usage: node scripts/build.mjs
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { build, transformSync } from "esbuild";

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

const outName = (file) => file.replace(/^src\//, "").replace(/\.ts$/, "");
const wrapped = (file) => file !== "src/index.ts" && !file.startsWith("src/executor/pool/runtime/");
const main = resolve("src/index.ts");

/** Builds each wrapped entry point (see 3. above) from `import "src/index.ts"; export * from "<entry>"`. */
const coreFirst = {
  name: "core-first",
  setup(b) {
    b.onResolve({ filter: /^core-first:/ }, (args) => ({
      path: resolve(args.path.slice(11)),
      namespace: "core-first",
    }));
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.namespace === "core-first") return undefined;
      const target = await b.resolve(args.path, { kind: "import-statement", resolveDir: args.resolveDir });
      if (target.errors.length > 0 || target.external) return undefined;
      return { path: target.path, namespace: "core-first" };
    });
    b.onLoad({ filter: /.*/, namespace: "core-first" }, (args) => {
      const hasDefault = /^export default\b/m.test(readFileSync(args.path, "utf8"));
      const from = JSON.stringify(args.path);
      return {
        contents: `import ${JSON.stringify(main)};\nexport * from ${from};\n${hasDefault ? `export { default } from ${from};\n` : ""}`,
        resolveDir: dirname(args.path),
        loader: "ts",
      };
    });
  },
};

await build({
  entryPoints: [...subpaths, ...internalEntries].map((file) => ({
    in: wrapped(file) ? `core-first:${file}` : file,
    out: outName(file),
  })),
  plugins: [coreFirst],
  outdir: "dist",
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

/** The code of `text` with its whitespace and comments gone: equal for two texts that differ only in those. */
const code = (text) => transformSync(text, { minifyWhitespace: true, format: "esm" }).code;

/**
 * `text` with every line that holds only a comment left empty: `//` lines (but the source map's
 * `//# sourceMappingURL=`), and block comments that start a line and end one (but legal ones,
 * `/*!`, `@license`, `@preserve`). A comment that shares a line with code stays.
 */
function blankCommentLines(text) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimStart();
    if (line.startsWith("//")) {
      if (!line.startsWith("//# sourceMappingURL=")) lines[i] = "";
      continue;
    }
    if (!line.startsWith("/*") || line.startsWith("/*!")) continue;
    let last = i;
    let close = lines[i].indexOf("*/", lines[i].indexOf("/*") + 2);
    while (close < 0 && last + 1 < lines.length) close = lines[++last].indexOf("*/");
    if (close < 0 || lines[last].slice(close + 2).trim() !== "") continue;
    const comment = lines.slice(i, last + 1).join("\n");
    if (comment.includes("@license") || comment.includes("@preserve")) continue;
    for (let k = i; k <= last; k++) lines[k] = "";
    i = last;
  }
  return lines.join("\n");
}

/** Comment characters and their one-character stand-ins; anything else becomes "?". */
const ascii = { "…": ".", "→": ">", "←": "<", "—": "-", "–": "-", "─": "-", "−": "-", "×": "x", "≥": ">", "≤": "<" };
for (const entry of readdirSync("dist", { recursive: true })) {
  const file = join("dist", entry);
  if (!file.endsWith(".js")) continue;
  const built = readFileSync(file, "utf8");
  let text = blankCommentLines(built);
  // a character outside the BMP is two UTF-16 units in a source map's columns: two stand-ins
  text = text.replace(/[\u{80}-\u{10ffff}]/gu, (c) => ascii[c] ?? "?".repeat(c.length));
  if (text === built) continue;
  // the same code before and after: only comments changed (a "comment" inside a string would not be)
  if (code(text) !== code(built)) throw new Error(`${file}: a change outside a comment`);
  writeFileSync(file, text);
}

cpSync("src/dashboard/static", "dist/dashboard/static", { recursive: true });
