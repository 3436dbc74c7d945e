// The checks `npm test` runs before the suite, side by side (as many at once as the machine has
// cores): typecheck, lint, format check, import directions, API docs, and the build the suite
// runs against. Each is single-threaded for most of its run and none reads what another writes
// (the build writes dist/, which no check reads): on two cores they took 62 s together, against
// 88 s one after another. Each one's output is printed when it ends, whole, if it failed; the
// script fails when any of them fails, after all have ended.
// Usage: node scripts/checks.mjs
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";

// the longest first, so the last to start is a short one
const checks = ["lint", "format:check", "typecheck", "build", "docs:check", "check:imports"];
const npm = process.env.npm_execpath; // the npm running `npm test`, else the one on the PATH

/** Runs `npm run <name>`, resolving with its exit status and its output (stdout and stderr, as they came). */
function run(name) {
  const started = Date.now();
  const [command, args] = npm ? [process.execPath, [npm, "run", "-s", name]] : ["npm", ["run", "-s", name]];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  child.stdout.on("data", (chunk) => output.push(chunk));
  child.stderr.on("data", (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ name, status: 1, output: String(error), ms: Date.now() - started }));
    child.on("close", (status) =>
      resolve({ name, status, output: Buffer.concat(output).toString(), ms: Date.now() - started }),
    );
  });
}

const queue = [...checks];
let failed = 0;
async function lane() {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const r = await run(name);
    const seconds = (r.ms / 1000).toFixed(1);
    if (r.status === 0) {
      console.log(`== ${name}: passed in ${seconds} s`);
    } else {
      failed++;
      process.stdout.write(r.output);
      console.log(`== ${name}: FAILED (exit ${r.status}) in ${seconds} s`);
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, lane));
if (failed > 0) {
  console.log(`== ${failed} of ${checks.length} checks failed`);
  process.exit(1);
}
