import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

// The built package (`npm run build`: scripts/build.mjs). These tests read dist/, like the CLI tests.
// The root is where package.json really is: the test tree (scripts/test-tree.mjs) links it and
// dist/, and Node names a module by its real path.
const root = dirname(realpathSync(fileURLToPath(new URL("../../package.json", import.meta.url))));
const dist = join(root, "dist");
/** A fixture module of stage functions (`inc`), as a file URL. */
const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url).href;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}
const builtModules = () => files(dist).filter((f) => /\.c?js$/.test(f) && !f.includes("/dashboard/static/"));
/** A built module and the files it imports statically, transitively. */
const closure = (file: string, seen = new Set<string>()): Set<string> => {
  seen.add(file);
  for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export)\b[^;]*?from "(\.[^"]+)";/gms)) {
    const next = join(file, "..", m[1]!);
    if (!seen.has(next)) closure(next, seen);
  }
  return seen;
};
const runtimeEntries = ["threadEntry.js", "processEntry.js"].map((f) => join(dist, "executor/pool/runtime", f));
/** The files a worker thread or child process loads (built apart: scripts/build.mjs), never the main process. */
const runtimeModules = () => new Set(runtimeEntries.flatMap((entry) => [...closure(entry)]));

/**
 * A module script for a child process that records in `urls` every module the ES module loader
 * loads (a `load` hook through `module.register`, Node 20.6 and later; its `port1` is closed by
 * `body`), then runs `body`.
 */
function recordingLoads(body: string): string {
  const hooks = `let port; export function initialize(d) { port = d.port; }
      export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
  return `
      import { register } from "node:module";
      import { MessageChannel } from "node:worker_threads";
      const { port1, port2 } = new MessageChannel();
      const urls = [];
      port1.on("message", (u) => urls.push(u));
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
      ${body}`;
}

describe("the built package (dist/, an esbuild bundle)", () => {
  it("has every subpath export, the CLI and the worker entries at their stable paths", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, string | { types?: string; import?: string }>;
    };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") continue; // ./package.json
      for (const file of [target.import, target.types]) {
        assert.ok(file !== undefined && existsSync(join(root, file)), `${subpath}: ${file} is missing`);
      }
    }
    for (const file of [
      "cli/main.js",
      "executor/pool/runtime/threadEntry.js",
      "executor/pool/runtime/processEntry.js",
      "dashboard/static/index.html",
    ]) {
      assert.ok(existsSync(join(dist, file)), `dist/${file} is missing`);
    }
    assert.ok(
      !existsSync(join(dist, "pipeline/pipeline.js")),
      "a module of an older, unbundled build is left in dist/",
    );
  });

  it("defines each class once: the CLI, the subpaths and a job importing weir share one copy", () => {
    const defined = new Map<string, string[]>();
    // a worker's runtime runs in its own thread or process, with its own copies (the errors, the wire)
    const runtime = runtimeModules();
    assert.ok(runtime.size >= 2);
    for (const file of builtModules().filter((f) => !runtime.has(f))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^(?:var (\w+) = class\b|class (\w+)\b)/gm)) {
        const name = m[1] ?? m[2]!;
        defined.set(name, [...(defined.get(name) ?? []), relative(dist, file)]);
      }
    }
    for (const name of ["WeirError", "StageError", "InvalidOptionError", "PipelineRun", "Stream", "EventBus"]) {
      assert.equal(defined.get(name)?.length, 1, `${name} is defined in ${JSON.stringify(defined.get(name))}`);
    }
  });

  it("is ASCII-only, so V8 keeps each module's source as one-byte text", () => {
    for (const file of builtModules()) {
      const at = readFileSync(file, "utf8").search(/[\u{80}-\u{10ffff}]/u);
      assert.equal(at, -1, `${relative(dist, file)} has a non-ASCII character at ${at}`);
    }
  });

  it("keeps no comment-only lines (they cost parse time), and lines stay where the source map says", () => {
    for (const file of builtModules()) {
      const lines = readFileSync(file, "utf8").split("\n");
      // a line comment, or a block comment that starts the line and leaves no code after it on the line
      const at = lines.findIndex((line) => /^\s*(?:\/\/(?!# sourceMappingURL=)|\/\*(?!!)(?!.*\*\/\s*\S))/.test(line));
      assert.equal(at, -1, `${relative(dist, file)}:${at + 1} is a comment: ${lines[at]}`);
    }
    // an error thrown in the core, mapped back (--enable-source-maps) to the line of the source that threw
    const source = readFileSync(join(root, "src/pipeline/pipeline.ts"), "utf8").split("\n");
    const line = source.findIndex((l) => l.includes('nonEmptyString(name, "name", "pipeline()")')) + 1;
    assert.ok(line > 0);
    const child = spawnSync(
      process.execPath,
      [
        "--enable-source-maps",
        "--input-type=module",
        "-e",
        `import { pipeline } from ${JSON.stringify(join(dist, "index.js"))};` +
          "try { pipeline(42); } catch (e) { console.log(e.stack); }",
      ],
      { encoding: "utf8" },
    );
    assert.match(
      child.stdout,
      new RegExp(`at pipeline \\(.*src/pipeline/pipeline\\.ts:${line}:\\d+\\)`),
      child.stdout + child.stderr,
    );
  });

  it("ships every source map with the sources it maps", () => {
    const maps = files(dist).filter((f) => /\.c?js\.map$/.test(f));
    assert.ok(maps.length > 0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(map, "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      assert.equal(sourcesContent?.length, sources.length, relative(dist, map));
      assert.ok(
        sourcesContent.every((s) => typeof s === "string"),
        `${relative(dist, map)} lacks a source`,
      );
    }
    for (const file of builtModules()) assert.ok(existsSync(`${file}.map`), `${relative(dist, file)} has no map`);
    // nothing built names the machine it was built on (a map's sources are relative paths)
    for (const file of files(dist)) {
      assert.ok(!readFileSync(file, "utf8").includes(root), `${relative(dist, file)} holds the path ${root}`);
    }
  });

  it("a worker's entry loads the worker runtime, not the core the main entry loads", () => {
    const bytes = (files: Set<string>): number => [...files].reduce((n, f) => n + readFileSync(f).length, 0);
    const core = closure(join(dist, "index.js"));
    // the core is one file, without the run engines (dist/engines/, each loaded on first use)
    assert.ok(core.size === 1 && bytes(core) > 150_000, `index.js: ${core.size} files, ${bytes(core)} bytes`);
    const runtime = runtimeModules();
    for (const entry of runtimeEntries) {
      const own = closure(entry);
      assert.ok(!own.has(join(dist, "index.js")), `${relative(dist, entry)} loads the core`);
      assert.ok(bytes(own) < 250_000, `${relative(dist, entry)} loads ${bytes(own)} bytes`);
    }
    // built apart: no module the main process loads imports a file of the worker runtimes
    for (const file of builtModules().filter((f) => f.endsWith(".js") && !runtime.has(f))) {
      const into = [...closure(file)].filter((f) => runtime.has(f));
      assert.deepEqual(into, [], `${relative(dist, file)} loads ${into.map((f) => relative(dist, f)).join(", ")}`);
    }
  });

  it('import { pipeline } from "weir" loads no optional subsystem and no first-use module', () => {
    const script = recordingLoads(`
      const { pipeline } = await import("weir");
      if (typeof pipeline !== "function") throw new Error("no pipeline");
      await new Promise((r) => setTimeout(r, 50));
      port1.close();
      process.stdout.write(JSON.stringify(urls));`);
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const loaded = (JSON.parse(child.stdout) as string[]).filter((u) => !u.startsWith("data:"));
    const own = loaded.filter((u) => u.startsWith("file:"));
    assert.ok(own.length > 0 && own.every((u) => fileURLToPath(u).startsWith(dist)), own.join("\n"));
    // the core is one file (scripts/build.mjs): each file more is resolved, read, compiled and
    // linked on its own (bench/import-cost.ts)
    assert.deepEqual(
      own.map((u) => relative(dist, fileURLToPath(u))),
      ["index.js"],
      `importing weir loaded ${own.length} files:\n${own.join("\n")}`,
    );
    const forbidden = [
      "better-sqlite3",
      "ioredis",
      "bullmq",
      "prom-client",
      "msgpackr",
      "node:http",
      "node:crypto",
      "node:perf_hooks",
    ];
    for (const name of forbidden) {
      assert.ok(
        !loaded.some((u) => u === name || u.includes(`/node_modules/${name}/`)),
        `importing weir loaded ${name}`,
      );
    }
    // the modules behind these load on first use: their code sits in chunks of their own
    const firstUse = ["PoolExecutor", "SqliteBackend", "LiveRuns", "RedisLink"];
    // the run engines (src/engines/): each loads on first use
    firstUse.push("PipelineRun", "StageStep", "WorkflowRun", "Runtime", "DurableStore");
    // and what defines a pool stage or a workflow, and the store's claimed run
    firstUse.push("LazyPoolExecutor", "Workflow", "ClaimedRun");
    for (const name of firstUse) {
      // at a line's start, or indented where the module is initialized on first use (an engine's import())
      const definition = new RegExp(`^\\s*(?:(?:var )?${name} = class\\b|class ${name}\\b)`, "m");
      assert.ok(
        builtModules().some((f) => definition.test(readFileSync(f, "utf8"))),
        `${name} is not in dist/ under the name this test looks for`,
      );
      for (const url of own) {
        const file = fileURLToPath(url);
        assert.ok(!definition.test(readFileSync(file, "utf8")), `${relative(dist, file)} holds ${name}`);
      }
    }
  });

  it("loads msgpackr through its CommonJS build only: one copy in a process, the worker runtimes included", () => {
    // an ES import of it would load its ES module graph beside the CommonJS file the engines and
    // the core require() (scripts/build.mjs, msgpackrAsCommonJs)
    for (const file of builtModules()) {
      const text = readFileSync(file, "utf8");
      assert.ok(
        !/\bfrom "msgpackr"|\bimport\("msgpackr"\)/.test(text),
        `${relative(dist, file)} imports msgpackr as an ES module`,
      );
    }
    // a process with a pool stage and the fleet's subpath (which packs at import) loads one file of it
    const script = recordingLoads(`
      const { createRequire } = await import("node:module");
      const { pipeline, worker } = await import("weir");
      await import("weir/redis");
      const out = [];
      await pipeline("p").from([1, 2]).map(worker(${JSON.stringify(fns)}, "inc")).to((x) => void out.push(x)).run();
      if (out.join() !== "2,3") throw new Error("the pool stage gave " + out.join());
      await new Promise((r) => setTimeout(r, 50));
      port1.close();
      const required = Object.keys(createRequire(import.meta.url).cache).filter(
        (f) => f.includes("/node_modules/msgpackr/") && !f.includes("/msgpackr/node_modules/"),
      );
      process.stdout.write(JSON.stringify({ urls, required }));`);
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    const { urls, required } = JSON.parse(child.stdout) as { urls: string[]; required: string[] };
    const esm = urls.filter((u) => u.includes("/node_modules/msgpackr/") && !u.endsWith("/msgpackr/dist/node.cjs"));
    assert.deepEqual(esm, [], "msgpackr's ES modules were loaded");
    assert.deepEqual(
      required.map((f) => relative(join(root, "node_modules"), f)),
      ["msgpackr/dist/node.cjs"],
    );
  });

  it("a worker thread of the built package loads msgpackr only when a frame first needs it", () => {
    // numbers and strings cross without frames (test/executor/lazy-msgpackr.test.ts); an import of
    // msgpackr in the worker runtime's files would load it at the thread's start
    const script = `
      const { pipeline, worker } = await import("weir");
      const loaded = async (items, tag) => {
        const out = [];
        const stage = worker(${JSON.stringify(fns)}, "msgpackrLoaded", { maxWorkers: 1, workerData: { tag } });
        await pipeline("p").from(items).map(stage).to((x) => void out.push(x)).run();
        return out.join("");
      };
      const numbers = await loaded(Array.from({ length: 100 }, (_, k) => k / 2), "numbers");
      const strings = await loaded(["a", "b", "c"], "strings");
      const objects = await loaded([{ a: 1 }, { a: 2 }], "objects");
      process.stdout.write(JSON.stringify({ numbers, strings, objects }));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { numbers: "0".repeat(100), strings: "000", objects: "11" });
  });

  it("the subpaths read the core's modules from dist/index.js: one copy of each, shared", () => {
    const script = `
      const weir = await import("weir");
      const testing = await import("weir/testing");
      const { sqliteStore } = await import("weir/sqlite");
      let invalid;
      try { sqliteStore({ maxBytes: -1 }); } catch (e) { invalid = e; }
      const out = {
        manualClock: testing.ManualClock === weir.ManualClock,
        invalidOption: invalid instanceof weir.InvalidOptionError && invalid instanceof weir.WeirError,
        code: invalid?.code,
        // the table the core hands over is no export of its own, but a hidden property of WeirError
        exports: Object.keys(weir).filter((k) => k.includes("core") || k.includes("table")),
        table: (({ enumerable, value }) => ({ enumerable, type: typeof value }))(
          Object.getOwnPropertyDescriptor(weir.WeirError, Symbol.for("weir.core")) ?? {}),
      };
      process.stdout.write(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), {
      manualClock: true,
      invalidOption: true,
      code: "WEIR_INVALID_OPTION",
      exports: [],
      table: { enumerable: false, type: "function" },
    });
    // a module of the core is in dist/index.js alone (the build checks it too)
    const own = readFileSync(join(dist, "index.js"), "utf8");
    const definition = /^var InvalidOptionError = class\b/m;
    assert.ok(definition.test(own));
    for (const file of builtModules().filter((f) => f !== join(dist, "index.js") && !runtimeModules().has(f))) {
      assert.ok(!definition.test(readFileSync(file, "utf8")), `${relative(dist, file)} holds InvalidOptionError`);
    }
  });

  it("loads each run engine on first use, synchronously, sharing the core's classes", () => {
    // with node's own loaders and under tsx's (whose require() hook compiles what it loads)
    const script = `
      import { createRequire } from "node:module";
      const weir = await import("weir");
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).filter((f) => f.startsWith(${JSON.stringify(join(dist, "engines"))})).length;
      const out = { before: loaded() };
      const failing = weir.pipeline("p").from([1, 2]).map((x) => { if (x === 2) throw new Error("two"); return x; });
      const run = failing.run();
      out.afterRun = loaded();
      out.state = run.snapshot().state;
      try { await run; } catch (e) { out.stageError = e instanceof weir.StageError && weir.StageError.is(e); out.stack = e.stack; }
      const ok = await weir.pipeline("q").from([1, 2, 3]).map((x) => x * 2).run();
      out.mapped = Object.values(ok.stats).find((s) => s.kind === "map")?.out;
      const defined = loaded();
      const wf = weir.workflow("w").task("a", () => 1).task("b", { after: ["a"] }, () => 2);
      out.workflowDefined = loaded() - defined;
      out.workflow = (await wf.run()).state;
      const double = weir.worker((x) => x * 2);
      out.poolDefined = loaded() - defined;
      const doubled = await weir.pipeline("w").from([1, 2, 3]).map(double).run();
      out.doubled = Object.values(doubled.stats).find((s) => s.kind === "map")?.out;
      out.store = typeof weir.memoryStore().createRun;
      const app = weir.runtime();
      await app.start();
      await app.stop();
      out.runtime = app.state;
      out.engines = Object.keys(cache).filter((f) => f.startsWith(${JSON.stringify(dist)})).map((f) => f.slice(${dist.length + 1})).sort();
      process.stdout.write(JSON.stringify(out));`;
    const source = readFileSync(join(root, "src/run/stage/itemFailed.ts"), "utf8").split("\n");
    const line = source.findIndex((l) => l.includes("throw new StageError(")) + 1;
    assert.ok(line > 0);
    for (const flags of [["--enable-source-maps"], ["--import", "tsx"]]) {
      const child = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], {
        cwd: root,
        encoding: "utf8",
      });
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stderr, "", `${flags.join(" ")}: no warning`);
      const { stack, ...out } = JSON.parse(child.stdout) as { stack: string };
      assert.deepEqual(
        out,
        {
          before: 0,
          afterRun: 1,
          state: "running",
          stageError: true,
          mapped: 3,
          workflowDefined: 1,
          workflow: "completed",
          poolDefined: 2,
          doubled: 3,
          store: "function",
          runtime: "stopped",
          engines: [
            "engines/pipeline.cjs",
            "engines/pool.cjs",
            "engines/runtime.cjs",
            "engines/store.cjs",
            "engines/workflow.cjs",
          ],
        },
        flags.join(" "),
      );
      // the engines' source map places a frame on the line of the source that threw
      assert.match(stack, new RegExp(`at itemFailed \\(.*src/run/stage/itemFailed\\.ts:${line}:\\d+\\)`), stack);
    }
  });
});
