import { WeirError } from "../errors/WeirError.js";
import type { RunSnapshot } from "../run/RunResult.js";
import { describeError, errorForJson, summary } from "./describe.js";
import type { CliRunnable } from "./loadRunnable.js";
import { ProgressView } from "./ProgressView.js";
import type { CliIo } from "./stdoutToStderr.js";
import { isWorkflowResult, isWorkflowSnapshot, renderWorkflow } from "./workflowView.js";

/** Once a run interrupted by a signal has settled, how long the process may take to exit on its own. */
const EXIT_AFTER_SETTLE_MS = 1_000;
/** Past the grace, how long an aborted run may take to settle before the process exits anyway. */
const SETTLE_BOUND_MS = 5_000;
/** The longest delay `setTimeout` takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `weir run` was asked for (see `weir run --help`). */
export interface RunCommandOptions {
  /** Print the result (or the error) as JSON, with no live view. @default false */
  readonly json: boolean;
  /** Show the live view on a terminal. @default true */
  readonly progress: boolean;
  /** How long the first signal's stop lets what was pulled drain. @default 25000 */
  readonly graceMs: number;
  /** More options for `run()` (a durable run's `store`, `runId`, `resume`, `force`). */
  readonly runOptions?: Readonly<Record<string, unknown>>;
  /** Called on the first SIGINT/SIGTERM, after the stop notice (a durable run prints how to resume). */
  readonly onSignal?: () => void;
  /** Serve `/metrics` on this loopback port (0: any free one). @default none */
  readonly metricsPort?: number | undefined;
}

/**
 * Runs `runnable` with a live view (on a terminal), prints its result, and resolves with the exit
 * code: 0 when it completed or drained after a stop, 1 when it failed, was aborted, or was stopped
 * by a signal and had to abandon work (what was pulled did not drain within the grace).
 *
 * The first SIGINT/SIGTERM calls `run.stop({ graceMs })` (pipelines and workflows both have it), and
 * a second one aborts. Once a run interrupted by a signal settles, the process exits
 * even if stage code still holds a handle; if it has not settled `SETTLE_BOUND_MS` after the
 * grace, it exits anyway.
 */
export async function runCommand(runnable: CliRunnable, options: RunCommandOptions, io: CliIo): Promise<number> {
  const abort = new AbortController();
  let stopFromTop = (): void => undefined;
  // loaded here only: the status server for `weir top` (and /metrics) is HTTP code
  const { observe } = await import("./observe.js");
  const given = options.runOptions ?? {};
  const runId = given["runId"] ?? given["resume"];
  const observation = await observe(runnable.name, options.metricsPort, () => stopFromTop(), io, {
    store: (given["store"] as { location?: string } | undefined)?.location,
    runIds: typeof runId === "string" ? [runId] : [],
  });
  const run = runnable.run({ ...options.runOptions, signal: abort.signal, metrics: observation.sink });
  observation.watch(run);
  let stoppedBy: NodeJS.Signals | undefined;
  let aborted = false;
  const exitSoon = (ms: number, message?: string): void => {
    if (ms > MAX_TIMER_MS) return;
    setTimeout(() => {
      if (message !== undefined) io.err.write(message);
      process.exit(process.exitCode ?? 1);
    }, ms).unref();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy === undefined && typeof run.stop === "function") {
      stoppedBy = signal;
      io.err.write(
        `\nweir: ${signal}: stopping: the source is closed, what was pulled drains for up to ${options.graceMs} ms (${signal} again aborts)\n`,
      );
      run.stop({ graceMs: options.graceMs }).catch(() => undefined);
      options.onSignal?.();
      exitSoon(
        options.graceMs + SETTLE_BOUND_MS,
        `weir: the run did not end within ${SETTLE_BOUND_MS} ms after its grace; exiting\n`,
      );
    } else {
      stoppedBy ??= signal;
      aborted = true;
      io.err.write(`\nweir: ${signal}: aborting\n`);
      abort.abort(new Error(`interrupted (${signal})`));
      exitSoon(SETTLE_BOUND_MS, `weir: the run did not end within ${SETTLE_BOUND_MS} ms of being aborted; exiting\n`);
    }
  };
  const abandonedLine = (source: unknown): string => {
    const count = (source as { abandoned?: unknown } | null)?.abandoned;
    const what =
      typeof count !== "number"
        ? "work in flight was"
        : count === 1
          ? "1 item in flight was"
          : `${count} items in flight were`;
    const why = aborted ? "the run was aborted" : `the grace of ${options.graceMs} ms ran out`;
    return `weir: stopped by ${stoppedBy}: ${what} abandoned (${why})\n`;
  };
  stopFromTop = () => onSignal("SIGTERM");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const live = io.out.isTTY === true && options.progress && !options.json;
  const draw = live ? liveView(run, io) : undefined;
  const timer = draw === undefined ? undefined : setInterval(draw, 250);
  try {
    let result: unknown;
    try {
      result = await run;
    } catch (error) {
      draw?.();
      if (options.json) io.out.write(`${JSON.stringify({ error: errorForJson(error) }, null, 2)}\n`);
      io.err.write(`${describeError(error)}\n`);
      if (stoppedBy !== undefined && WeirError.is(error) && error.code === "WEIR_CANCELLED")
        io.err.write(abandonedLine(error));
      return 1;
    }
    draw?.();
    if (options.json)
      io.out.write(`${JSON.stringify(result, (k, v: unknown) => (k === "snapshot" ? undefined : v), 2)}\n`);
    else io.out.write(`${summary(result)}\n`);
    if (isWorkflowResult(result) && !result.ok) {
      io.err.write(`${describeError(result.error)}\n`);
      return 1;
    }
    if (stoppedBy !== undefined && abandonedWork(result, run.snapshot())) {
      io.err.write(abandonedLine(result));
      return 1;
    }
    return 0;
  } finally {
    await observation.close();
    if (timer !== undefined) clearInterval(timer);
    if (stoppedBy !== undefined) exitSoon(EXIT_AFTER_SETTLE_MS);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * True when a run that resolved after a stop still left work undone: its state is `cancelled`, or
 * its result counts abandoned items (`abandoned`, when the run reports it).
 */
function abandonedWork(result: unknown, snapshot: unknown): boolean {
  const abandoned = (result as { abandoned?: unknown } | null)?.abandoned;
  if (abandoned === true || (typeof abandoned === "number" && abandoned > 0)) return true;
  return (snapshot as { state?: unknown } | null)?.state === "cancelled";
}

/** Redraws the run's live view in place. */
function liveView(run: { snapshot(): unknown }, io: CliIo): () => void {
  const view = new ProgressView();
  let drawn = 0;
  return () => {
    const snap = run.snapshot();
    let lines: string[];
    if (isRunSnapshot(snap)) lines = view.render(snap);
    else if (isWorkflowSnapshot(snap)) lines = renderWorkflow(snap, performance.now());
    else return;
    io.out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
    drawn = lines.length;
  };
}

function isRunSnapshot(s: unknown): s is RunSnapshot {
  return typeof s === "object" && s !== null && Array.isArray((s as RunSnapshot).stages);
}
