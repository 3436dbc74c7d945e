import { Worker, type ResourceLimits } from "node:worker_threads";
import { workerStart } from "./entryLoader.js";
import type { FromWorker, ToWorker } from "./WireMessage.js";
import type { WorkerEvents, WorkerHandle } from "./WorkerHandle.js";

/** A worker thread running `threadEntry`. */
export class ThreadHandle implements WorkerHandle {
  readonly #worker: Worker;
  /** The error the thread reported before exiting, if any. */
  #error: unknown;
  #killed = false;
  readonly exited: Promise<void>;

  constructor(moduleUrl: string, resourceLimits: ResourceLimits | undefined, execArgv: readonly string[], events: WorkerEvents) {
    const start = workerStart("threadEntry", moduleUrl);
    this.#worker = new Worker(start.entry, {
      eval: start.eval,
      workerData: { moduleUrl },
      execArgv: [...start.execArgv, ...execArgv],
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    this.#worker.on("message", (m: FromWorker) => events.message(m));
    this.#worker.on("error", (error: unknown) => {
      this.#error = error;
    });
    this.exited = new Promise<void>((resolve) => {
      this.#worker.once("exit", (code: number) => {
        const outOfMemory = (this.#error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
        events.exit({ code, signal: undefined, error: this.#error, outOfMemory });
        resolve();
      });
    });
  }

  send(message: ToWorker, transfer: ArrayBuffer[] | undefined): void {
    this.#worker.postMessage(message, transfer);
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    void this.#worker.terminate();
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }
}
