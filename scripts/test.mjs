// Runs the node:test suite over every test/**/*.test.ts (Node 20's --test does not expand globs).
// Usage: node scripts/test.mjs [filter...]  — filters keep files whose path contains any of them.
import { readdirSync, statSync } from "node:fs";
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
    "--test-concurrency=2",
    "--test-timeout=180000",
    ...files,
  ],
  // the test processes do not see WEIR_TEST_TIMES (its file is passed above): tests check that
  // nothing of weir's leaks into the environment of the workers they start
  { stdio: "inherit", env: withoutTimes(process.env) },
);
process.exit(result.status ?? 1);

function withoutTimes(env) {
  const rest = { ...env };
  delete rest.WEIR_TEST_TIMES;
  return rest;
}
