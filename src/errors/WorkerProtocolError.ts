import { WeirError } from "./WeirError.js";

/**
 * A worker thread or child process broke the wire protocol between it and its pool: it sent
 * bytes that are not a frame, a frame larger than the pool's `maxFrameBytes`, or a message that
 * is not one a worker sends (e.g. a stage that writes to the pipe's file descriptor, or posts on
 * a thread's own `parentPort`). The pool stops that worker at once and replaces it; the items it
 * held fail with a `WorkerCrashedError` (`WEIR_WORKER_CRASHED`) whose `cause` is this error, so a
 * stage's retry and onError policies apply as for any crash. The parent is never affected.
 *
 * @example
 * ```ts
 * if (WeirError.is(e) && e.code === "WEIR_WORKER_CRASHED" && WeirError.is(e.cause)) console.log(e.cause.code); // WEIR_WORKER_PROTOCOL
 * ```
 */
export class WorkerProtocolError extends WeirError {
  /** The class name: `error.name`, and what `WorkerProtocolError.is(e)` matches. */
  static override readonly name: string = "WorkerProtocolError";
  /** Where the worker ran: `worker` (thread) or `process`. */
  readonly context: "worker" | "process";
  /** What the worker sent that broke the protocol. */
  readonly reason: string;

  constructor(context: "worker" | "process", reason: string, cause?: unknown) {
    super(
      "WEIR_WORKER_PROTOCOL",
      `${context === "worker" ? "worker thread" : "child process"} broke the wire protocol: ${reason}`,
      { cause },
    );
    this.context = context;
    this.reason = reason;
  }
}
