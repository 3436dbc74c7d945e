/**
 * Runs the benchmark suites in sequence and prints their tables (markdown on stdout, progress on
 * stderr).
 *
 *   npm run bench                       # every suite
 *   npm run bench -- inline memory      # some suites (inline, async, memory, short-runs)
 *   npm run bench -- async --runs 5     # more rounds per row (the default is the suite's, ≥ 3)
 *   npm run bench -- memory --loader tsx
 *   npm run bench -- workers timers     # the standalone suites (own harness; flags after `--` go to them)
 *
 * Standalone suites (`workers`, `large-items`, `timers`, `adaptive`, `workflow`, `faults`, `durable`,
 * `fleet`) have harnesses of their own (threads, servers, graphs, drills, Redis); they run as
 * `node --import tsx bench/<name>.ts` in a child process.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { harnessArgs, runSuites } from "./harness.js";
import { asyncTasks } from "./async.js";
import { inline } from "./inline.js";
import { memory } from "./memory.js";
import { short } from "./short-runs.js";
import type { Suite } from "./suite.js";

const suites: readonly Suite[] = [inline, asyncTasks, memory, short];
const standalone = ["workers", "large-items", "timers", "adaptive", "workflow", "faults", "durable", "fleet"] as const;

const args = process.argv.slice(2);
const wanted = args.filter((a) => (standalone as readonly string[]).includes(a));
const { names, options } = harnessArgs(args.filter((a) => !wanted.includes(a)));
const unknown = names.filter((n) => !suites.some((s) => s.name === n));
if (unknown.length > 0) {
  const known = [...suites.map((s) => s.name), ...standalone].join(", ");
  process.stderr.write(`unknown suite(s): ${unknown.join(", ")}; known: ${known}\n`);
  process.exit(2);
}
const all = names.length === 0 && wanted.length === 0;
if (all || names.length > 0) await runSuites(all ? suites : suites.filter((s) => names.includes(s.name)), options);
for (const name of all ? standalone : wanted) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
