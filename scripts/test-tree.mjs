// The test tree (scripts/test.mjs runs the suite from it): a copy of the project in which every
// TypeScript module also sits compiled, beside its source, as the `.js` file its importers already
// name (the sources import `./x.js`, NodeNext style), so the tests run on plain Node, without tsx.
//
// Why: under tsx every module a test process imports goes through tsx's loader, on a thread of
// its own (Node 20 runs module hooks off the main thread): importing `src/index.ts` took 0.9-1.1 s
// of CPU there against 0.2 s for the same modules compiled, and a test file imports it or most
// of it, in each of about 200 processes per Node version.
//
// How: each `.ts` file under the folders below is compiled on its own by esbuild's transform, as
// tsx compiles it (the same esbuild, options and compiler options), with an inline source map
// naming the source, so a stack trace under --enable-source-maps points at the `.ts` line. The
// `.ts` files are copied too: a test that starts `node --import tsx <fixture>.ts`, or hands a
// pool a `.ts` module, finds it where it was. Every other file of these folders is copied, and
// every other top-level entry of the project (node_modules, dist, package.json, docs, …) is a
// link to the project's own, so paths from a test's own location (`new URL("../..",
// import.meta.url)`) and from the working directory find what they find in the project.
// The tree is built whole at each run (about 2 s), one per run (two runs in one checkout do not
// share one), and removed when the run ends: nothing stale survives an edit.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { transformSync } from "esbuild";

/** The folders copied and compiled; everything else at the top is linked. */
const compiled = ["src", "test", "bench", "examples", "bin", "scripts"];

/** Where the trees are: one per run, `.test-tree/<pid>/`, so two runs in one checkout never share one. */
export const treesDir = ".test-tree";

/** What is neither copied nor linked: git's own, and the trees. */
const skipped = [".git", treesDir];

/**
 * Builds this run's test tree (`.test-tree/<pid>/`) from the project at `root` (the working
 * directory by default), first removing the trees of runs that ended without removing theirs
 * (their process is gone). Returns its folder (under `root`), the number of modules compiled, and
 * `remove()`, to call when the run ends.
 */
export function buildTestTree(root = ".") {
  const trees = join(root, treesDir);
  mkdirSync(trees, { recursive: true });
  for (const entry of readdirSync(trees)) {
    // one named with this process's pid is an ended run's too (its pid was given again)
    const ended = !/^\d+$/.test(entry) || Number(entry) === process.pid || !alive(Number(entry));
    if (ended) rmSync(join(trees, entry), { recursive: true, force: true });
  }
  const dir = join(trees, String(process.pid));
  mkdirSync(dir);
  const { compilerOptions } = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8"));
  let modules = 0;
  const copy = (from) => {
    mkdirSync(join(dir, from), { recursive: true });
    for (const entry of readdirSync(join(root, from), { withFileTypes: true })) {
      const path = join(from, entry.name);
      if (entry.isDirectory()) {
        copy(path);
        continue;
      }
      copyFileSync(join(root, path), join(dir, path));
      if (!/\.ts$/.test(entry.name) || /\.d\.ts$/.test(entry.name)) continue;
      // tsx's own options (its esbuild transform): a function's source text, which a plan's
      // fingerprint and a worker(fn) stage read, is what it is under tsx
      const { code } = transformSync(readFileSync(join(root, path), "utf8"), {
        loader: "ts",
        format: "esm",
        target: `node${process.versions.node}`,
        minifyWhitespace: true,
        keepNames: true,
        sourcemap: "inline",
        sourcesContent: false,
        sourcefile: resolve(root, path),
        tsconfigRaw: { compilerOptions },
      });
      const js = path.replace(/\.ts$/, ".js");
      if (existsSync(join(root, js))) throw new Error(`${path} compiles to ${js}, which the project has already`);
      writeFileSync(join(dir, js), code);
      modules++;
    }
  };
  for (const from of compiled) if (existsSync(join(root, from))) copy(from);
  for (const entry of readdirSync(root)) {
    if (compiled.includes(entry) || skipped.includes(entry)) continue;
    symlinkSync(resolve(root, entry), join(dir, entry));
  }
  return { dir, modules, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether a process of this user with that pid runs (EPERM: one runs, of another user's). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}
