/**
 * Runs the benchmark suites in sequence and prints their tables (markdown on stdout, progress on
 * stderr).
 *
 *   npm run bench                       # every suite
 *   npm run bench -- inline memory      # some suites
 *   npm run bench -- async --runs 5     # more rounds per row (the default is the suite's, ≥ 3)
 *   npm run bench -- memory --loader tsx
 */
import { harnessArgs, runSuites } from "./harness.js";
import { asyncTasks } from "./async.js";
import { inline } from "./inline.js";
import { memory } from "./memory.js";
import type { Suite } from "./suite.js";

// Other suites (workers, timers, adaptive, workflow) are added here as they land.
const suites: readonly Suite[] = [inline, asyncTasks, memory];

const { names, options } = harnessArgs(process.argv.slice(2));
const unknown = names.filter((n) => !suites.some((s) => s.name === n));
if (unknown.length > 0) {
  process.stderr.write(`unknown suite(s): ${unknown.join(", ")}; known: ${suites.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}
await runSuites(names.length === 0 ? suites : suites.filter((s) => names.includes(s.name)), options);
