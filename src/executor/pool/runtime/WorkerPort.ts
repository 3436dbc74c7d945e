import type { FromWorker } from "../wire/WireMessage.js";

/** What a worker entry gives the runtime: a way to send, how to read its memory, how to end. */
export interface WorkerPort {
  /** Sends a message; throws when it cannot be encoded. */
  send(message: FromWorker, values: readonly unknown[] | undefined): void;
  /** Throws when `value` cannot cross to the parent. */
  check(value: unknown): void;
  /** Memory in MB the pool compares with `maxMemoryMb`. */
  memoryMb(): number;
  /**
   * Ends the worker after a graceful close, as `process.exit(0)` does: its exit handlers run and
   * what it wrote to stdout and stderr reaches the parent.
   */
  exit(): void;
}
