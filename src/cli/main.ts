import { readFileSync } from "node:fs";
import { packageRoot } from "../load/shippedFile.js";
import { formatPlan } from "../plan/formatPlan.js";
import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import { describeError, errorForJson } from "./describe.js";
import { loadRunnable } from "./loadRunnable.js";
import { parseCommand, type CliCommand } from "./parseCommand.js";
import type { StoreCommand } from "./store/parseStoreCommand.js";
import { runCommand } from "./runCommand.js";
import { durableRunCommand } from "./durableRunCommand.js";
import { UsageError } from "./UsageError.js";
import { stdoutToStderr, type CliIo } from "./stdoutToStderr.js";
import {
  dashboardUsage,
  dlqUsage,
  planUsage,
  resumeUsage,
  runUsage,
  runsUsage,
  topUsage,
  weirUsage,
  workerUsage,
} from "./usage.js";

const usageOf = (topic: string): string =>
  topic === "run"
    ? runUsage
    : topic === "plan"
      ? planUsage
      : topic === "worker"
        ? workerUsage
        : topic === "runs"
          ? runsUsage
          : topic === "dlq"
            ? dlqUsage
            : topic === "resume"
              ? resumeUsage
              : topic === "top"
                ? topUsage
                : topic === "dashboard"
                  ? dashboardUsage
                  : weirUsage;

/** Exit codes: done, failed (or abandoned work), and a wrong command line. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/**
 * Runs the CLI with `args`; resolves with the exit code (0 done; 1 the run failed, was cancelled
 * or abandoned work, or the module did not load; 2 the command line was wrong). With `--json`,
 * stdout carries the JSON and nothing else: when `io.out` is `process.stdout`, every other write
 * to it goes to stderr until the process exits (see {@link stdoutToStderr}).
 */
export async function main(
  args: readonly string[],
  io: CliIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCommand(args);
  } catch (error) {
    io.err.write(`${describeError(error)}\n`);
    if (error instanceof UsageError) {
      io.err.write(`\n${usageOf(error.command)}\n`);
      return EXIT_USAGE;
    }
    return EXIT_FAILED;
  }
  if (command.kind === "help") {
    io.out.write(`${usageOf(command.topic)}\n`);
    return EXIT_OK;
  }
  if (command.kind === "version") {
    const pkg = JSON.parse(readFileSync(new URL("package.json", packageRoot()), "utf8")) as {
      version: string;
    };
    io.out.write(`${pkg.version}\n`);
    return EXIT_OK;
  }
  if (command.kind === "worker") {
    // loaded only here: the rest of the CLI never loads the Redis client
    const { workerCommand } = await import("../fleet/worker/workerCommand.js");
    return workerCommand(command, io);
  }
  if (command.kind === "dashboard") {
    // loaded only here: the rest of the CLI never loads the HTTP server or SQLite
    const { dashboardCommand } = await import("./dashboardCommand.js");
    try {
      return await dashboardCommand(command, io);
    } catch (error) {
      io.err.write(`${describeError(error)}\n`);
      return EXIT_FAILED;
    }
  }
  if (isStoreCommand(command)) {
    // loaded only here: the rest of the CLI never loads the SQLite store
    const { storeCommand } = await import("./store/storeCommand.js");
    try {
      return await storeCommand(
        command,
        command.json && io.out === process.stdout ? { out: stdoutToStderr(), err: io.err } : io,
      );
    } catch (error) {
      io.err.write(`${describeError(error)}\n`);
      return EXIT_FAILED;
    }
  }
  if (command.kind === "top") {
    // loaded only here: HTTP code stays out of the rest of the CLI
    const { topCommand } = await import("../top/topCommand.js");
    return topCommand(command, io);
  }
  // machine-readable output: the module's own writes to stdout go to stderr
  const cliIo: CliIo = command.json && io.out === process.stdout ? { out: stdoutToStderr(), err: io.err } : io;
  try {
    const runnable = await loadRunnable(command.file);
    if (command.kind === "plan") {
      const plan = runnable.plan();
      cliIo.out.write(
        command.json || !isPipelinePlan(plan) ? `${JSON.stringify(plan, null, 2)}\n` : `${formatPlan(plan)}\n`,
      );
      return EXIT_OK;
    }
    if (command.durable !== undefined)
      return await durableRunCommand(runnable, { ...command, durable: command.durable }, cliIo);
    return await runCommand(runnable, command, cliIo);
  } catch (error) {
    if (command.json) cliIo.out.write(`${JSON.stringify({ error: errorForJson(error) }, null, 2)}\n`);
    io.err.write(`${describeError(error)}\n`);
    return EXIT_FAILED;
  }
}

function isStoreCommand(command: CliCommand): command is StoreCommand {
  return command.kind === "runs" || command.kind === "runs-show" || command.kind.startsWith("dlq-");
}

function isPipelinePlan(plan: unknown): plan is ExecutionPlan {
  return (
    typeof plan === "object" &&
    plan !== null &&
    Array.isArray((plan as ExecutionPlan).steps) &&
    Array.isArray((plan as ExecutionPlan).stages)
  );
}
