import { WeirError } from "./WeirError.js";

/**
 * A worker ran out of memory: a thread hit its `resourceLimits` (`ERR_WORKER_OUT_OF_MEMORY`), or a
 * child process died of a V8 heap limit. Each item the worker held fails with this error; the pool
 * replaces the worker and the parent goes on.
 *
 * @example
 * ```ts
 * run.catch((e) => { if (e.cause?.code === "WEIR_WORKER_OUT_OF_MEMORY") … });
 * ```
 */
export class WorkerOutOfMemoryError extends WeirError {
  /** The class name: `error.name`, and what `WorkerOutOfMemoryError.is(e)` matches. */
  static override readonly name: string = "WorkerOutOfMemoryError";
  /** Where the worker ran: `worker` (thread) or `process`. */
  readonly context: "worker" | "process";

  constructor(context: "worker" | "process", cause?: unknown) {
    super(
      "WEIR_WORKER_OUT_OF_MEMORY",
      `${context === "worker" ? "worker thread" : "child process"} ran out of memory`,
      { cause },
    );
    this.context = context;
  }
}
