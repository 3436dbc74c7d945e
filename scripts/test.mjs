// Runs the node:test suite over every test/**/*.test.ts (Node 20's --test does not expand globs).
// Usage: node scripts/test.mjs [filter...]  — filters keep files whose path contains any of them.
//
// The files run compiled, on plain Node, from the test tree (scripts/test-tree.mjs: a copy of the
// project with every module compiled beside its source, as tsx compiles it, built anew for each run):
// without tsx's loader a test process imports weir in a fifth of the CPU time, and the suite took
// 288 s instead of 380 on two cores (443 s of CPU instead of 585). Stack traces name the `.ts`
// lines (source maps). `node --import tsx --test <file>` still runs any one file from the sources.
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { buildTestTree } from "./test-tree.mjs";

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk("test")
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

// Test files run one more at a time than the machine has cores: a file that waits (on a child, a
// socket, a timer) leaves its core to the others. On two cores three at a time took the suite from
// 315 to 278 s, two at a time left a core idle 17 % of the run. WEIR_TEST_CONCURRENCY=<n> overrides.
const concurrency = Number(process.env.WEIR_TEST_CONCURRENCY) || availableParallelism() + 1;
// WEIR_TEST_TIMES=<file> also writes each file's summed test time there, slowest first
const times = process.env.WEIR_TEST_TIMES
  ? [
      `--test-reporter=${resolve("scripts/file-times-reporter.mjs")}`,
      `--test-reporter-destination=${resolve(process.env.WEIR_TEST_TIMES)}`,
    ]
  : [];
const started = Date.now();
const tree = buildTestTree();
console.log(`# ${tree.modules} modules compiled into ${tree.dir}/ in ${Date.now() - started} ms`);
const result = spawnSync(
  process.execPath,
  [
    // stack traces name the .ts sources (the tree's inline source maps), as under tsx
    "--enable-source-maps",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    ...times,
    `--test-concurrency=${concurrency}`,
    "--test-timeout=180000",
    ...files.map((f) => f.replace(/\.ts$/, ".js")),
  ],
  // the test processes see neither WEIR_TEST_TIMES nor WEIR_TEST_CONCURRENCY (both are passed
  // above): tests check that nothing of weir's leaks into the environment of the workers they start
  { stdio: "inherit", env: withoutOwn(process.env), cwd: resolve(tree.dir) },
);
tree.remove();
process.exit(result.status ?? 1);

function withoutOwn(env) {
  const rest = { ...env };
  delete rest.WEIR_TEST_TIMES;
  delete rest.WEIR_TEST_CONCURRENCY;
  return rest;
}
