import { WeirError } from "./WeirError.js";

/**
 * A worker thread or child process exited, crashed or was terminated while it held items. Each
 * item it held fails with this error; the stage's retry and onError policies then apply, and the
 * pool replaces the worker.
 *
 * @example
 * ```ts
 * .map(worker(url, "parse"), { retry: { attempts: 3, retryIf: (e) => WeirError.is(e) && e.code === "WEIR_WORKER_CRASHED" } })
 * ```
 */
export class WorkerCrashedError extends WeirError {
  /** The class name: `error.name`, and what `WorkerCrashedError.is(e)` matches. */
  static override readonly name: string = "WorkerCrashedError";
  /** Where the worker ran: `worker` (thread) or `process`. */
  readonly context: "worker" | "process";
  /** The exit code, when the worker exited with one. */
  readonly exitCode: number | undefined;
  /** The signal that ended the process, when one did. */
  readonly signalName: string | undefined;

  constructor(
    context: "worker" | "process",
    reason: string,
    details: { exitCode?: number | undefined; signalName?: string | undefined; cause?: unknown } = {},
  ) {
    const how =
      details.signalName !== undefined
        ? ` (signal ${details.signalName})`
        : details.exitCode !== undefined
          ? ` (exit code ${details.exitCode})`
          : "";
    super("WEIR_WORKER_CRASHED", `${context === "worker" ? "worker thread" : "child process"} ${reason}${how}`, {
      cause: details.cause,
    });
    this.context = context;
    this.exitCode = details.exitCode;
    this.signalName = details.signalName;
  }
}
