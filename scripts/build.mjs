// Builds dist/ (run by `npm run build`):
// 1. removes the old dist/, so no stale module of an earlier build is ever loaded;
// 2. tsc writes the type declarations (dist/**/*.d.ts, beside where the modules were: the
//    package's `types` paths);
// 3. esbuild bundles the JavaScript with code splitting: every public subpath (package.json
//    `exports`) and the CLI are entry points, each at a stable path (src/sqlite.ts →
//    dist/sqlite.js, src/cli/main.ts → dist/cli/main.js, …); the code they share lives once in
//    dist/chunks/, so the CLI and a job importing "weir" share one copy of every module (one class
//    per error, one registry of pools). Packages stay external (node_modules); a `import()` in the
//    source stays a split point: what it loads is its own chunk, loaded on use.
//    The core (the modules src/index.ts imports, directly or not) is one file, dist/index.js, that
//    imports no other file of weir: `import "weir"` loads that file and nothing else. Every file
//    Node loads is resolved, read, compiled and linked on its own, and a re-export is a link more:
//    the core as one file imports 2-5 ms sooner than the entry, the core's chunk and the chunk
//    it shared with the worker runtimes it was before (bench/README.md, "The core as one file").
//    Any other module that imports a module of the core reads that module's exports from the
//    core's table instead (the table the engines are handed, below), through one module that
//    imports dist/index.js ("How a module outside the core reads the table" below), so esbuild
//    never puts a module of the core in a chunk. The two worker runtime entries (the files a
//    worker thread or child process starts from) are built apart, with their own chunks
//    (dist/chunks/runtime-*.js): a worker loads its runtime, never the core, and runs in a
//    thread or process of its own, where copies of the few modules it shares with the core (the
//    errors, the wire) are no second copy of anything.
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

/** The CLI's entry point (bin/weir.js runs it), no subpath export. */
const cliEntry = "src/cli/main.ts";
/** The files a worker thread or child process starts from (src/load/shippedFile.ts), built apart (see 3. above). */
const runtimeEntries = ["src/executor/pool/runtime/threadEntry.ts", "src/executor/pool/runtime/processEntry.ts"];

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
const main = resolve("src/index.ts");

/** The main build: the public subpaths and the CLI (the worker runtimes are built apart). */
const esm = {
  entryPoints: [...subpaths, cliEntry].map((file) => ({ in: file, out: outName(file) })),
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
 * The builds: the main build with the seam (src/load/engines.ts) holding no engine, to learn which
 * modules the main process can load (twice: again with the modules engines share); each engine,
 * every import of such a module made a read of the table; the core alone, to learn its modules;
 * the main build, each import of a module of the core from outside it made a read of the table
 * (once to learn which modules those are, once written), the seam now the table and the
 * `require()`s; the worker runtimes.
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

/**
 * msgpackr through its CommonJS build, for the ES module outputs: each `import { Packr } from
 * "msgpackr"` becomes a read of what `require("msgpackr")` returns. The engines (CommonJS files)
 * and the core (src/load/onFirstUse.ts) load msgpackr with `require()`, so a process that also
 * loads a module importing it (the fleet's) holds one copy, not the CommonJS one and the ES one.
 * A worker's runtime starts sooner too: the CommonJS build is one file, where the ES build is a
 * graph of modules that each resolve, compile and link: 11.8 ms against 16.3 ms to load here, and
 * a thread's first result about 4 ms sooner (bench/README.md, "msgpackr as one file"). Only the
 * names listed are exported: an import of another fails the build.
 */
const msgpackrAsCommonJs = {
  name: "msgpackr-as-commonjs",
  setup(b) {
    b.onResolve({ filter: /^msgpackr$/ }, () => ({ path: "msgpackr", namespace: "msgpackr-commonjs" }));
    b.onLoad({ filter: /.*/, namespace: "msgpackr-commonjs" }, () => ({
      contents:
        'const { Packr } = process.getBuiltinModule("node:module").createRequire(import.meta.url)("msgpackr");\n' +
        "export { Packr };\n",
      loader: "js",
    }));
  },
};

/** The source files a build's metafile lists (absolute paths; virtual modules left out). */
const sourcesOf = (metafile) =>
  new Set(
    Object.keys(metafile.inputs)
      .filter((input) => !input.includes(":"))
      .map((input) => resolve(input)),
  );

/** The source files `entry` (absolute) reaches in a build's metafile by static imports, itself included. */
function staticClosure(metafile, entry) {
  const start = relative(process.cwd(), entry).split(sep).join("/");
  const pending = [start];
  const seen = new Set(pending);
  while (pending.length > 0) {
    for (const { path, kind, external } of metafile.inputs[pending.pop()]?.imports ?? []) {
      if (external || kind === "dynamic-import" || seen.has(path)) continue;
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

/** The source files the main process can load when the seam also imports `kept` (absolute paths). */
async function mainWith(kept) {
  const imports = kept.map((path, i) => `import * as k${i} from ${JSON.stringify(path)};`);
  const contents = `${imports.join("\n")}\nexport const engine = (): unknown => [${kept.map((_, i) => `k${i}`).join(", ")}];\n`;
  const probe = await build({
    ...esm,
    plugins: [enginesSeam(contents)],
    write: false,
    metafile: true,
    sourcemap: false,
  });
  return sourcesOf(probe.metafile);
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

/** A module of the core's table by its key (its path under src/): where an engine or another module reads it. */
const keyOf = (path) => relative("src", path).split(sep).join("/");
/** The text of a module that exports what the table holds for `key`, read from `table` (an expression). */
async function tableModule(key, table) {
  const names = await exportNames(resolve("src", key));
  const lines = names.map((name) =>
    name === "default" ? "export default m.default;" : `export const ${name} = m.${name};`,
  );
  return `const m = ${table}[${JSON.stringify(key)}];\n${lines.join("\n")}\n`;
}

/**
 * Makes every import of a module of `modules` (absolute paths), by a module `from` accepts, a read
 * of a table: a module in namespace `namespace` whose text `text(key)` returns, or what `to(key)`
 * resolves it to; the key is recorded in `keys`.
 */
const resolving = Symbol("resolving");
const readFromTable = ({ modules, from, namespace, keys, staticOnly, text, to }) => ({
  name: `read-from-${namespace}`,
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (
        args.kind === "entry-point" ||
        args.pluginData === resolving ||
        args.namespace !== "file" ||
        !from(args.importer)
      )
        return undefined;
      const { path, errors } = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: resolving,
      });
      if (errors.length > 0 || !modules.has(path)) return undefined;
      if (staticOnly && args.kind !== "import-statement")
        throw new Error(
          `${args.importer}: ${args.kind} of ${args.path}, a module of the core: engines take those by static import only`,
        );
      keys.add(keyOf(path));
      return to?.(keyOf(path)) ?? { path: keyOf(path), namespace };
    });
    b.onLoad({ filter: /.*/, namespace }, async (args) => ({ contents: await text(args.path), loader: "js" }));
  },
});

/** Builds one engine against `core` (absolute paths): written to dist/engines/<name>.cjs, or only its metafile. */
const buildEngine = (name, core, keys, write) =>
  build({
    entryPoints: [{ in: `src/engines/${name}.ts`, out: `engines/${name}` }],
    outExtension: { ".js": ".cjs" },
    plugins: [
      readFromTable({
        modules: core,
        from: () => true,
        namespace: "weir-core",
        keys,
        staticOnly: true,
        text: (key) => tableModule(key, "__weirCore"),
      }),
    ],
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

// what the main process can load, then the modules more than one engine reaches, made part of it
const alone = await mainWith([]);
const reached = await Promise.all(
  engineNames.map(async (name) => sourcesOf((await buildEngine(name, alone, new Set(), false)).metafile)),
);
const shared = [...new Set(reached.flatMap((set) => [...set]))].filter(
  (path) => reached.filter((set) => set.has(path)).length > 1,
);
const mainSources = shared.length === 0 ? alone : await mainWith(shared);
const engineKeys = new Set();
const engines = await Promise.all(
  engineNames.map(async (name) => sourcesOf((await buildEngine(name, mainSources, engineKeys, true)).metafile)),
);

/** The key under which the core hands its table to the modules outside it (a property of `WeirError`, not enumerable). */
const tableKey = "weir.core";
const weirError = resolve("src/errors/WeirError.ts");
/** The seam's text when the table holds `keys` (the modules the engines and the rest of the package read from it). */
async function seamText(keys) {
  const paths = keys.map((key) => resolve("src", key));
  const names = await Promise.all(paths.map((path) => exportNames(path)));
  return [
    `import { requireFrom } from ${JSON.stringify(fromSeam(resolve("src/load/requireFrom.ts")))};`,
    `import { WeirError as weirError } from ${JSON.stringify(fromSeam(weirError))};`,
    // specifiers relative to the seam: the seam's text is in its source map, which ships
    // named imports, not namespaces: a namespace the bundle builds on import (an object of
    // getters per module) made the core 11 KB larger and its compile about 2 ms longer
    ...paths.map(
      (path, i) =>
        `import { ${names[i].map((name) => `${name} as m${i}_${name}`).join(", ")} } from ${JSON.stringify(fromSeam(path))};`,
    ),
    "// the table is made when the first engine, or the first module outside the core that reads it, loads",
    `const table = () => ({ ${keys.map((key, i) => `${JSON.stringify(key)}: { ${names[i].map((name) => `${name}: m${i}_${name}`).join(", ")} }`).join(", ")} });`,
    "let core: ReturnType<typeof table> | undefined;",
    `Object.defineProperty(weirError, Symbol.for(${JSON.stringify(tableKey)}), { value: () => (core ??= table()) });`,
    "const loaded: Record<string, unknown> = {};",
    "// this module is built into dist/index.js (checked below): the engines are in dist/engines/",
    "export const engine = (name: string): any =>",
    "  (loaded[name] ??= requireFrom(import.meta.url)(`./engines/${name}.cjs`)((core ??= table())));",
  ].join("\n");
}

// the core's modules: what src/index.ts reaches by static imports, the seam importing what the engines read
const coreProbe = await build({
  entryPoints: [main],
  bundle: true,
  format: "esm",
  platform: "node",
  packages: "external",
  write: false,
  metafile: true,
  outdir: "/",
  logLevel: "silent",
  plugins: [enginesSeam(await seamText([...engineKeys]))],
});
const core = staticClosure(coreProbe.metafile, main);

/**
 * How a module outside the core reads the table. A probe build learns which modules of the core
 * they read (`keys`), each read by a module of its own. The build that is written resolves every
 * such import to one module, `weir-core:table` (in whichever file esbuild puts it), which imports
 * dist/index.js, takes the table from `WeirError` and exports every name the modules of `known`
 * export: a module of its own per module of the core left a file per set of entry points that
 * read it, several of them empty, which the CLI loaded at every start. Those names must be
 * unique across `known` (checked), and no module outside the core may `export *` from a module
 * of the core (it would re-export the whole table: each entry point's exports are checked
 * below). An import of src/index.ts itself is an import of dist/index.js. The import of
 * dist/index.js is written with a stand-in for the path, made relative to the file it is in
 * below.
 */
const indexStandIn = "weir-core-index-stand-in";
const coreTable = (known) => ({
  name: "core-table",
  setup(b) {
    b.onResolve({ filter: /^weir-core:index$/ }, () => ({ path: indexStandIn, external: true }));
    b.onResolve({ filter: /^weir-core:table$/ }, () => ({ path: "table", namespace: "weir-core-table" }));
    b.onLoad({ filter: /.*/, namespace: "weir-core-table" }, async () => {
      const lines = [
        'import { WeirError as weirError } from "weir-core:index";',
        `export const core = weirError[Symbol.for(${JSON.stringify(tableKey)})]();`,
      ];
      const from = new Map();
      for (const [i, key] of known.entries()) {
        const names = await exportNames(resolve("src", key));
        for (const name of names) {
          if (name === "default") throw new Error(`${key}, a module of the core read outside it, has a default export`);
          if (from.has(name)) throw new Error(`${key} and ${from.get(name)} both export ${name}: rename one`);
          from.set(name, key);
        }
        lines.push(`const m${i} = core[${JSON.stringify(key)}];`);
        lines.push(...names.map((name) => `export const ${name} = m${i}.${name};`));
      }
      return { contents: `${lines.join("\n")}\n`, loader: "js" };
    });
  },
});
/** The main build, every module outside the core reading the core's modules from its table (see above). */
const mainBuild = async (keys, known) =>
  build({
    ...esm,
    plugins: [
      msgpackrAsCommonJs,
      enginesSeam(await seamText([...new Set([...engineKeys, ...keys, ...(known ?? [])])])),
      coreTable(known ?? []),
      readFromTable({
        modules: core,
        from: (importer) => !core.has(importer),
        namespace: "weir-table",
        keys,
        staticOnly: false,
        text: async (key) => `import { core } from "weir-core:table";\n${await tableModule(key, "core")}`,
        to: (key) =>
          key === "index.ts"
            ? { path: indexStandIn, external: true }
            : known === undefined
              ? undefined
              : { path: "table", namespace: "weir-core-table" },
      }),
    ],
    metafile: true,
    write: known !== undefined,
  });
const tableKeys = new Set();
await mainBuild(tableKeys);
const known = [...tableKeys].filter((key) => key !== "index.ts").sort();
const { metafile } = await mainBuild(new Set(), known);
for (const file of Object.keys(metafile.outputs).filter((output) => output.endsWith(".js"))) {
  const text = readFileSync(file, "utf8");
  if (!text.includes(indexStandIn)) continue;
  const path = relative(dirname(file), "dist/index.js").split(sep).join("/");
  writeFileSync(file, text.replaceAll(`"${indexStandIn}"`, JSON.stringify(path.startsWith(".") ? path : `./${path}`)));
}

// the core is dist/index.js alone, which imports no other file of weir, and no module is in two files
const index = Object.keys(metafile.outputs).find((file) => metafile.outputs[file].entryPoint === "src/index.ts");
if (index !== "dist/index.js") throw new Error(`src/index.ts is built into ${index}`);
const linked = metafile.outputs[index].imports.filter((i) => !i.external && i.kind !== "dynamic-import");
if (linked.length > 0) throw new Error(`dist/index.js imports ${linked.map((i) => i.path).join(", ")}`);
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (file === index) continue;
  const copied = Object.keys(output.inputs).filter((input) => core.has(resolve(input)));
  if (copied.length > 0) throw new Error(`${file} holds modules of the core: ${copied.join(", ")}`);
}
// an entry point exports what its source does, and nothing of the table (an `export *` would)
for (const output of Object.values(metafile.outputs)) {
  if (output.entryPoint === undefined || output.entryPoint === "src/index.ts") continue;
  const own = [...(await exportNames(resolve(output.entryPoint)))].sort();
  if (JSON.stringify([...output.exports].sort()) !== JSON.stringify(own))
    throw new Error(`${output.entryPoint} is built to export ${output.exports.join(", ")}, not ${own.join(", ")}`);
}
const built = sourcesOf(metafile);
engines.forEach((own, i) => {
  const twice = [...own].filter((path) => built.has(path) || engines.some((other, k) => k !== i && other.has(path)));
  if (twice.length > 0) throw new Error(`the ${engineNames[i]} engine shares modules: ${twice.join(", ")}`);
});
const seams = Object.keys(metafile.outputs).filter((file) =>
  Object.keys(metafile.outputs[file].inputs).some((input) => resolve(input) === seam),
);
if (seams.length !== 1 || seams[0] !== index)
  throw new Error(`the engines' seam is built into ${seams.join(", ")}, not dist/index.js`);

// the worker runtimes, apart: the chunks they share are theirs alone
await build({
  ...esm,
  entryPoints: runtimeEntries.map((file) => ({ in: file, out: outName(file) })),
  chunkNames: "chunks/runtime-[hash]",
  plugins: [msgpackrAsCommonJs],
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
