// Runs the node:test suite over every test/**/*.test.ts (Node 20's --test does not expand globs).
// Usage: node scripts/test.mjs [filter...]  — filters keep files whose path contains any of them.
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

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
  ? ["--test-reporter=./scripts/file-times-reporter.mjs", `--test-reporter-destination=${process.env.WEIR_TEST_TIMES}`]
  : [];
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    ...times,
    `--test-concurrency=${concurrency}`,
    "--test-timeout=180000",
    ...files,
  ],
  // the test processes see neither WEIR_TEST_TIMES nor WEIR_TEST_CONCURRENCY (both are passed
  // above): tests check that nothing of weir's leaks into the environment of the workers they start
  { stdio: "inherit", env: withoutOwn(process.env) },
);
process.exit(result.status ?? 1);

function withoutOwn(env) {
  const rest = { ...env };
  delete rest.WEIR_TEST_TIMES;
  delete rest.WEIR_TEST_CONCURRENCY;
  return rest;
}
