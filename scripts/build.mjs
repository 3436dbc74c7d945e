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
//    The engines (src/engines/: what plans and runs a pipeline, what defines and runs a pool
//    stage or a workflow, the component Runtime, the store over a backend) are no part of the
//    core: each is one CommonJS file of its own, dist/engines/<name>.cjs, loaded on first use
//    ("The engines" below).
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
import { dirname, join, relative, resolve, sep } from "node:path";
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

/**
 * The engines (src/engines/: pipeline, pool, workflow, runtime, store) load on first use, each when
 * the first call that needs it (a pipeline's `plan()` or `run()`, `worker()`, `workflow()`,
 * `runtime()`, a store) asks for it, not on `import "weir"`: they are most of weir's code, and
 * compiling the core is most of what importing weir costs (bench/README.md, "Import cost"). `run()`
 * returns its run synchronously, so the core loads an engine with `require()`, and each is built
 * as one CommonJS file (dist/engines/<name>.cjs) that imports nothing of weir: the exports of the
 * core's modules it uses are handed to it as a table. Under a require hook (tsx compiles what
 * `require()` loads) that file is still the only copy of its engine, and the core the only copy of
 * every class it holds (an error a stage throws is `instanceof` the `StageError` the caller
 * imported). A module two engines use, or an engine and another entry point the main process can
 * load, is made part of the core (the seam imports it), so no module is in two files the main
 * process loads; a module only a worker runtime reaches runs in another thread or process, and an
 * engine keeps a copy of its own.
 *
 * The builds: the ES modules with the seam (src/load/engines.ts) holding no engine, to learn which
 * modules the core holds (twice: again with the modules engines share); each engine, every import
 * of a module of the core made a read of the table; the ES modules again, the seam now the table
 * and the `require()`s.
 */
const seam = resolve("src/load/engines.ts");
const engineNames = readdirSync("src/engines").map((file) => file.replace(/\.ts$/, ""));

/** Puts `contents` in the place of the seam (src/load/engines.ts), whose source imports the engines statically. */
const enginesSeam = (contents) => ({
  name: "engines-seam",
  setup(b) {
    b.onLoad({ filter: /[\\/]load[\\/]engines\.ts$/ }, (args) =>
      args.path === seam ? { contents, resolveDir: dirname(seam), loader: "ts" } : undefined,
    );
  },
});

const esm = {
  entryPoints: [...subpaths, ...internalEntries].map((file) => ({
    in: wrapped(file) ? `core-first:${file}` : file,
    out: outName(file),
  })),
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
};
/** The source files a build's metafile lists (absolute paths; wrappers and virtual modules left out). */
const sourcesOf = (metafile) =>
  new Set(
    Object.keys(metafile.inputs)
      .filter((input) => !input.includes(":"))
      .map((input) => resolve(input)),
  );

/**
 * The source files of an ES modules build that can load in the main process: every module an
 * entry point other than a worker runtime's imports, directly or not (`import()` included; a
 * module whose code the bundle shakes out is counted too, since the seam's import keeps it). A
 * module only a worker runtime reaches runs in a worker thread or child process, never in the
 * realm of the core and the engines, so an engine may hold a copy of its own.
 */
function mainSourcesOf(metafile) {
  const runtimes = resolve("src/executor/pool/runtime");
  const pending = Object.values(metafile.outputs)
    .map((output) => output.entryPoint)
    .filter((entry) => entry !== undefined && !resolve(entry.replace(/^core-first:/, "")).startsWith(runtimes));
  const seen = new Set(pending);
  while (pending.length > 0) {
    for (const { path, external } of metafile.inputs[pending.pop()]?.imports ?? []) {
      if (external || seen.has(path)) continue;
      seen.add(path);
      pending.push(path);
    }
  }
  return new Set([...seen].filter((input) => !input.includes(":")).map((input) => resolve(input)));
}

/** `path` (absolute) as an import specifier in the seam (src/load/engines.ts). */
function fromSeam(path) {
  const specifier = relative(dirname(seam), path).split(sep).join("/");
  return specifier.startsWith("../") ? specifier : `./${specifier}`;
}

/** The source files of the core when the seam also imports `kept` (absolute paths). */
async function coreWith(kept) {
  const imports = kept.map((path, i) => `import * as k${i} from ${JSON.stringify(path)};`);
  const contents = `${imports.join("\n")}\nexport const engine = (): unknown => [${kept.map((_, i) => `k${i}`).join(", ")}];\n`;
  const probe = await build({
    ...esm,
    plugins: [coreFirst, enginesSeam(contents)],
    write: false,
    metafile: true,
    sourcemap: false,
  });
  return mainSourcesOf(probe.metafile);
}

/** Each source module's value exports, as esbuild reads them (asked once per module, for the engines and the seam). */
const exportsOf = new Map();
const exportNames = (path) => {
  if (!exportsOf.has(path))
    exportsOf.set(
      path,
      build({ entryPoints: [path], write: false, metafile: true, outdir: "/", format: "esm", logLevel: "silent" }).then(
        ({ metafile }) => Object.values(metafile.outputs).flatMap((output) => output.exports),
      ),
    );
  return exportsOf.get(path);
};

/** The modules of the core the engines import: table key (path under src/) → absolute path. */
const fromCore = new Map();
const resolving = Symbol("resolving");
/** Makes every import of a module of `core` a read of the table (`__weirCore`) the engine is handed. */
const takeFromTable = (core) => ({
  name: "take-from-table",
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === resolving || args.namespace !== "file") return undefined;
      const { path, errors } = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: resolving,
      });
      if (errors.length > 0 || !core.has(path)) return undefined;
      if (args.kind !== "import-statement")
        throw new Error(
          `${args.importer}: ${args.kind} of ${args.path}, a module of the core: engines take those by static import only`,
        );
      const key = relative("src", path).split(sep).join("/");
      fromCore.set(key, path);
      return { path: key, namespace: "weir-core" };
    });
    b.onLoad({ filter: /.*/, namespace: "weir-core" }, async (args) => {
      const names = await exportNames(fromCore.get(args.path));
      const lines = names.map((name) =>
        name === "default" ? "export default m.default;" : `export const ${name} = m.${name};`,
      );
      return { contents: `const m = __weirCore[${JSON.stringify(args.path)}];\n${lines.join("\n")}\n`, loader: "js" };
    });
  },
});
/** Builds one engine against `core`: written to dist/engines/<name>.cjs, or only its metafile. */
const buildEngine = (name, core, write) =>
  build({
    entryPoints: [{ in: `src/engines/${name}.ts`, out: `engines/${name}` }],
    outExtension: { ".js": ".cjs" },
    plugins: [takeFromTable(core)],
    outdir: "dist",
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    metafile: true,
    write,
    logLevel: "warning",
    // the file is one function of the core's table, in parentheses so that V8 compiles it at once
    // (a first run about 6 ms sooner than when its body was parsed twice); import.meta.url is its own URL
    define: { "import.meta.url": "__weirEngineUrl" },
    banner: {
      js: [
        `module.exports = (function ${name}Engine(__weirCore) {`,
        '"use strict";',
        "const module = { exports: {} };",
        'const __weirEngineUrl = require("node:url").pathToFileURL(__filename).href;',
      ].join(" "),
    },
    footer: { js: "return module.exports;\n});" },
  });

// the core, then the modules more than one engine reaches, made part of it
const alone = await coreWith([]);
const reached = await Promise.all(
  engineNames.map(async (name) => sourcesOf((await buildEngine(name, alone, false)).metafile)),
);
const shared = [...new Set(reached.flatMap((set) => [...set]))].filter(
  (path) => reached.filter((set) => set.has(path)).length > 1,
);
const core = shared.length === 0 ? alone : await coreWith(shared);
fromCore.clear();
const engines = await Promise.all(
  engineNames.map(async (name) => sourcesOf((await buildEngine(name, core, true)).metafile)),
);

const keys = [...fromCore.keys()];
const names = await Promise.all(keys.map((key) => exportNames(fromCore.get(key))));
const { metafile } = await build({
  ...esm,
  plugins: [
    coreFirst,
    enginesSeam(
      [
        'import { createRequire } from "node:module";',
        // specifiers relative to the seam: the seam's text is in its source map, which ships
        // named imports, not namespaces: a namespace the bundle builds on import (an object of
        // getters per module) made the core 11 KB larger and its compile about 2 ms longer
        ...keys.map(
          (key, i) =>
            `import { ${names[i].map((name) => `${name} as m${i}_${name}`).join(", ")} } from ${JSON.stringify(fromSeam(fromCore.get(key)))};`,
        ),
        "// the table is made when the first engine loads",
        `const table = () => ({ ${keys.map((key, i) => `${JSON.stringify(key)}: { ${names[i].map((name) => `${name}: m${i}_${name}`).join(", ")} }`).join(", ")} });`,
        "let core: ReturnType<typeof table> | undefined;",
        "const loaded: Record<string, unknown> = {};",
        "// this module is built into dist/chunks/ (checked below): the engines are in dist/engines/",
        "export const engine = (name: string): any =>",
        "  (loaded[name] ??= createRequire(import.meta.url)(`../engines/${name}.cjs`)((core ??= table())));",
      ].join("\n"),
    ),
  ],
  metafile: true,
});
const built = mainSourcesOf(metafile);
engines.forEach((own, i) => {
  const twice = [...own].filter((path) => built.has(path) || engines.some((other, k) => k !== i && other.has(path)));
  if (twice.length > 0) throw new Error(`the ${engineNames[i]} engine shares modules: ${twice.join(", ")}`);
});
const seams = Object.keys(metafile.outputs).filter((file) =>
  Object.keys(metafile.outputs[file].inputs).some((input) => resolve(input) === seam),
);
if (seams.length !== 1 || dirname(relative("dist", seams[0])) !== "chunks")
  throw new Error(`the engines' seam is built into ${seams.join(", ")}, not one module of dist/chunks/`);

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
  if (!file.endsWith(".js") && !file.endsWith(".cjs")) continue;
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
