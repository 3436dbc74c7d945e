import type { FromWorker, ToWorker } from "../wire/WireMessage.js";

/** How a worker ended. */
export interface WorkerExit {
  /** Exit code, when it exited with one. */
  readonly code: number | undefined;
  /** Signal that ended a process, when one did. */
  readonly signal: string | undefined;
  /** Error the worker reported before it ended (e.g. `ERR_WORKER_OUT_OF_MEMORY`). */
  readonly error: unknown;
  /** True when it ran out of memory. */
  readonly outOfMemory: boolean;
}

/** What a handle reports to its pool. */
export interface WorkerEvents {
  message(message: FromWorker): void;
  exit(exit: WorkerExit): void;
}

/**
 * One worker thread or child process, as the pool sees it: send messages, stop it, let it keep
 * the parent alive or not. Implementations: `ThreadHandle`, `ProcessHandle`.
 */
export interface WorkerHandle {
  /**
   * Sends a message; `transfer` lists ArrayBuffers to move rather than copy (threads only).
   * Returns the bytes it took on the wire where they are known (a child process's frame), else -1
   * (a thread's `postMessage` does not say). Throws when the message cannot be encoded.
   */
  send(message: ToWorker, transfer: ArrayBuffer[] | undefined): number;
  /** Stops the worker now (terminates the thread; kills the process group). Idempotent. */
  kill(): void;
  /** Resolves once the worker has exited. */
  readonly exited: Promise<void>;
  /** Keeps the parent alive while the worker runs (while it holds items). */
  ref(): void;
  /** Lets the parent exit while the worker idles. */
  unref(): void;
  /** The child process's id (processes only), to ask the system whether it is stopped. */
  readonly pid?: number;
  /** Where the worker's loop is, written by the worker as it runs (threads only: see `ItemCell`). */
  readonly cell?: Int32Array;
}
