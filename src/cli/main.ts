import { readFileSync } from "node:fs";
import { WeirError } from "../errors/WeirError.js";
import { formatPlan } from "../plan/formatPlan.js";
import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import type { RunResult, RunSnapshot } from "../run/RunResult.js";
import { loadRunnable } from "./loadRunnable.js";
import { fmt, ProgressView } from "./ProgressView.js";
import { isWorkflowResult, isWorkflowSnapshot, renderWorkflow, workflowSummary } from "./workflowView.js";

const usage = `weir — run concurrent pipelines and workflows

usage:
  weir run <file> [--no-progress] [--json]   run the pipeline (or workflow) the module exports by default
  weir plan <file> [--json]                  print its execution plan
  weir --version | --help

Ctrl-C stops gracefully (the source stops, what was pulled drains); a second Ctrl-C aborts.`;

/** After an aborting Ctrl-C, how long a settled run's process may take to exit on its own. */
const ABORT_EXIT_GRACE_MS = 1_000;

/** Runs the CLI with `args`; resolves with the exit code. */
export async function main(
  args: readonly string[],
  io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream } = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const [command, file, ...flags] = args;
  try {
    if (command === undefined || command === "--help" || command === "-h") {
      io.out.write(`${usage}\n`);
      return command === undefined ? 1 : 0;
    }
    if (command === "--version") {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string;
      };
      io.out.write(`${pkg.version}\n`);
      return 0;
    }
    if ((command !== "run" && command !== "plan") || file === undefined) {
      io.err.write(`${usage}\n`);
      return 2;
    }
    const runnable = await loadRunnable(file);
    if (command === "plan") {
      const plan = runnable.plan();
      io.out.write(
        flags.includes("--json") || !isPipelinePlan(plan)
          ? `${JSON.stringify(plan, null, 2)}\n`
          : `${formatPlan(plan)}\n`,
      );
      return 0;
    }
    return await runWithProgress(runnable, flags, io);
  } catch (error) {
    io.err.write(`${describeError(error)}\n`);
    return 1;
  }
}

async function runWithProgress(
  runnable: Awaited<ReturnType<typeof loadRunnable>>,
  flags: readonly string[],
  io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream },
): Promise<number> {
  const abort = new AbortController();
  const run = runnable.run({ signal: abort.signal });
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1 && typeof run.stop === "function") {
      io.err.write("\nweir: stopping: the source is closed, in-flight items drain (Ctrl-C again to abort)\n");
      run.stop().catch(() => undefined);
    } else {
      io.err.write("\nweir: aborting\n");
      abort.abort(new Error("interrupted"));
      // Aborting is the user saying "end it": once the run has settled, the process exits even if
      // stage code still holds a handle (a request that ignores its signal, a timer). The timer is
      // unref'd, so a process with nothing left running exits at once on its own.
      const exitAfterSettle = (): void =>
        void setTimeout(() => process.exit(process.exitCode ?? 1), ABORT_EXIT_GRACE_MS).unref();
      void Promise.resolve(run).then(exitAfterSettle, exitAfterSettle);
    }
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const live = io.out.isTTY === true && !flags.includes("--no-progress") && !flags.includes("--json");
  const view = new ProgressView();
  let drawn = 0;
  const draw = (): void => {
    const snap = run.snapshot();
    let lines: string[];
    if (isRunSnapshot(snap)) lines = view.render(snap);
    else if (isWorkflowSnapshot(snap)) lines = renderWorkflow(snap, performance.now());
    else return;
    io.out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
    drawn = lines.length;
  };
  const timer = live ? setInterval(draw, 250) : undefined;
  try {
    const result = await run;
    if (live) draw();
    if (flags.includes("--json"))
      io.out.write(`${JSON.stringify(result, (k, v: unknown) => (k === "snapshot" ? undefined : v), 2)}\n`);
    else io.out.write(`${summary(result)}\n`);
    if (isWorkflowResult(result) && !result.ok) {
      io.err.write(`${describeError(result.error)}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (live) draw();
    io.err.write(`${describeError(error)}\n`);
    return 1;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
}

function isPipelinePlan(plan: unknown): plan is ExecutionPlan {
  return (
    typeof plan === "object" &&
    plan !== null &&
    Array.isArray((plan as ExecutionPlan).steps) &&
    Array.isArray((plan as ExecutionPlan).stages)
  );
}

function isRunSnapshot(s: unknown): s is RunSnapshot {
  return typeof s === "object" && s !== null && Array.isArray((s as RunSnapshot).stages);
}

/** A plain-text summary of a finished run (pipeline results; other results as JSON). */
export function summary(result: unknown): string {
  if (isWorkflowResult(result)) return workflowSummary(result);
  const r = result as RunResult;
  if (typeof r !== "object" || r === null || typeof r.stats !== "object") return JSON.stringify(result, null, 2);
  const lines = [
    `${r.pipeline}: ${r.stopped ? "stopped" : "completed"} in ${(r.durationMs / 1000).toFixed(2)}s, ${fmt(r.sourceItems)} source items`,
  ];
  for (const s of Object.values(r.stats)) {
    const extra = [
      s.errors ? `${s.errors} errors` : "",
      s.retries ? `${s.retries} retries` : "",
      s.skipped ? `${s.skipped} skipped` : "",
      s.deadLettered ? `${s.deadLettered} dead-lettered` : "",
      s.dropped ? `${s.dropped} dropped` : "",
    ].filter(Boolean);
    const p =
      s.latency.count > 0 && s.context !== "inline"
        ? `  p50 ${s.latency.p50.toFixed(2)}ms p99 ${s.latency.p99.toFixed(2)}ms`
        : "";
    lines.push(
      `  ${s.name.padEnd(16)} ${s.context.padEnd(7)} in ${fmt(s.in).padStart(11)}  out ${fmt(s.out).padStart(11)}${p}${extra.length ? `  ${extra.join(", ")}` : ""}`,
    );
  }
  if (r.deadLetters.length > 0)
    lines.push(
      `  ${r.deadLetters.length} dead letters (first: stage "${r.deadLetters[0]!.stage}", item ${r.deadLetters[0]!.index})`,
    );
  return lines.join("\n");
}

/** One readable line (or a few) for an error: its code, message and cause. */
export function describeError(error: unknown): string {
  if (WeirError.is(error)) {
    const cause =
      error.cause instanceof Error && !error.message.includes(error.cause.message)
        ? `\n  cause: ${error.cause.stack ?? error.cause.message}`
        : "";
    return `weir: ${error.code}: ${error.message}${cause}`;
  }
  return `weir: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
