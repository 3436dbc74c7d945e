import type { Run } from "../run/Run.js";
import type { RunEvents } from "../run/RunEvents.js";
import type { TaskState } from "../state/TaskState.js";
import type { WorkflowEvents } from "../workflow/results/WorkflowEvents.js";
import type { EventBus } from "./EventBus.js";
import type { WorkerExit } from "../executor/pool/handle/WorkerHandle.js";

/**
 * The `node:diagnostics_channel` channels weir publishes to, for APM tools and loggers that
 * observe a process without patching it (as undici does for HTTP requests). Every name is here;
 * subscribe with `diagnostics_channel.subscribe(name, handler)`. A message is built and
 * published only while its channel has subscribers: with none, weir pays a boolean check per
 * run, per workflow run and per worker started or exited, nothing per item. A pipeline or
 * workflow run is observed when subscribers exist as it is created.
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("weir:run:end", (m) => console.log(m.pipeline, m.ok, m.durationMs));
 * ```
 */
export const diagnosticsChannels = {
  /** A pipeline run started pulling its source. */
  runStart: "weir:run:start",
  /** A pipeline run ended (completed, failed, cancelled, or its stop grace ran out). */
  runEnd: "weir:run:end",
  /** An attempt of a pipeline stage failed, whatever happens next (retry, fail, skip, dead-letter). */
  stageError: "weir:stage:error",
  /** A worker thread or child process of a pool was started. */
  workerStart: "weir:pool:worker:start",
  /** A worker thread or child process of a pool exited (stopped, crashed, killed, out of memory). */
  workerExit: "weir:pool:worker:exit",
  /** A workflow run started. */
  workflowStart: "weir:workflow:start",
  /** A workflow run ended. */
  workflowEnd: "weir:workflow:end",
  /** A workflow task reached a final status (completed, failed, skipped or cancelled). */
  taskEnd: "weir:workflow:task:end",
} as const;

/** The message each channel carries, by channel name. */
export interface DiagnosticsMessages {
  "weir:run:start": { readonly pipeline: string; readonly run: Run; readonly at: number };
  "weir:run:end": {
    readonly pipeline: string;
    readonly run: Run;
    readonly ok: boolean;
    readonly durationMs: number;
    readonly error?: unknown;
  };
  /** The item is left out (it may be large or private): only its source index is given. */
  "weir:stage:error": {
    readonly pipeline: string;
    readonly run: Run;
    readonly stage: string;
    readonly index: number;
    readonly error: unknown;
    readonly attempt: number;
    readonly action: "retry" | "fail" | "skip" | "dead-letter";
  };
  "weir:pool:worker:start": {
    readonly context: "worker" | "process";
    /** The module (URL) the pool's workers load. */
    readonly module: string;
    /** The child process's id; undefined for a worker thread. */
    readonly pid: number | undefined;
  };
  "weir:pool:worker:exit": {
    readonly context: "worker" | "process";
    readonly module: string;
    readonly pid: number | undefined;
    /** Exit code, when it exited with one. */
    readonly code: number | undefined;
    /** Signal that ended a process, when one did. */
    readonly signal: string | undefined;
    readonly outOfMemory: boolean;
    /** Batches of items it held when it exited (they fail with `WEIR_WORKER_CRASHED`, then retry / onError apply). */
    readonly heldBatches: number;
  };
  "weir:workflow:start": {
    readonly workflow: string;
    readonly run: object;
    readonly at: number;
    readonly tasks: number;
  };
  "weir:workflow:end": {
    readonly workflow: string;
    readonly run: object;
    readonly state: string;
    readonly ok: boolean;
    readonly durationMs: number;
    readonly error: unknown;
  };
  "weir:workflow:task:end": { readonly workflow: string; readonly run: object; readonly task: TaskState };
}

/** A channel that publishes one kind of message. */
interface TypedChannel<M> {
  readonly hasSubscribers: boolean;
  publish(message: M): void;
}

function typed<N extends keyof DiagnosticsMessages>(name: N): TypedChannel<DiagnosticsMessages[N]> {
  return process.getBuiltinModule("node:diagnostics_channel").channel(name) as TypedChannel<DiagnosticsMessages[N]>;
}

/**
 * The channels, made on the first run, workflow run or worker: `node:diagnostics_channel` is no
 * module Node 20 has loaded before weir asks (a subscriber's channel is the same object whenever
 * it is made).
 */
const opened = () => ({
  runStart: typed(diagnosticsChannels.runStart),
  runEnd: typed(diagnosticsChannels.runEnd),
  stageError: typed(diagnosticsChannels.stageError),
  workerStart: typed(diagnosticsChannels.workerStart),
  workerExit: typed(diagnosticsChannels.workerExit),
  workflowStart: typed(diagnosticsChannels.workflowStart),
  workflowEnd: typed(diagnosticsChannels.workflowEnd),
  taskEnd: typed(diagnosticsChannels.taskEnd),
});
let channels: ReturnType<typeof opened> | undefined;

/**
 * @internal Forwards a pipeline run's events to the channels that have subscribers now (nothing
 * is subscribed on the run's bus otherwise).
 */
export function observeRun(run: Run, events: EventBus<RunEvents>): void {
  const { runStart, runEnd, stageError } = (channels ??= opened());
  if (runStart.hasSubscribers) events.on("run:start", (e) => runStart.publish({ ...e, run }));
  if (runEnd.hasSubscribers) events.on("run:end", (e) => runEnd.publish({ ...e, run }));
  if (stageError.hasSubscribers) {
    events.on("stage:error", ({ stage, index, error, attempt, action }) =>
      stageError.publish({ pipeline: run.pipeline, run, stage, index, error, attempt, action }),
    );
  }
}

/** @internal Forwards a workflow run's events to the channels that have subscribers now. */
export function observeWorkflow(run: object, events: EventBus<WorkflowEvents>): void {
  const { workflowStart, workflowEnd, taskEnd } = (channels ??= opened());
  if (workflowStart.hasSubscribers) events.on("workflow:start", (e) => workflowStart.publish({ ...e, run }));
  if (workflowEnd.hasSubscribers) events.on("workflow:end", (e) => workflowEnd.publish({ ...e, run }));
  if (taskEnd.hasSubscribers) events.on("task:end", (e) => taskEnd.publish({ ...e, run }));
}

/** @internal A pool started a worker. */
export function workerStarted(context: "worker" | "process", module: string, pid: number | undefined): void {
  const { workerStart } = (channels ??= opened());
  if (workerStart.hasSubscribers) workerStart.publish({ context, module, pid });
}

/** @internal A pool's worker exited, holding `heldBatches` batches. */
export function workerExited(
  context: "worker" | "process",
  module: string,
  pid: number | undefined,
  exit: WorkerExit,
  heldBatches: number,
): void {
  const { workerExit } = (channels ??= opened());
  if (!workerExit.hasSubscribers) return;
  const { code, signal, outOfMemory } = exit;
  workerExit.publish({ context, module, pid, code, signal, outOfMemory, heldBatches });
}
