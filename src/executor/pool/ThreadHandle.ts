import { Worker, type ResourceLimits } from "node:worker_threads";
import { workerStart } from "./entryLoader.js";
import { FrameDecoder, FrameEncoder } from "./FrameCodec.js";
import type { FromWorker, ToWorker } from "./WireMessage.js";
import type { WorkerEvents, WorkerHandle } from "./WorkerHandle.js";

/** A worker thread running `threadEntry`. */
export class ThreadHandle implements WorkerHandle {
  readonly #worker: Worker;
  /** msgpack frames to the thread (`wire: "msgpack"`); undefined: structured clone only. */
  readonly #encoder: FrameEncoder | undefined;
  readonly #post = (frame: Uint8Array): void =>
    this.#worker.postMessage(frame, frame.byteLength > 0 ? [frame.buffer as ArrayBuffer] : undefined);
  /** The error the thread reported before exiting, if any. */
  #error: unknown;
  #killed = false;
  readonly exited: Promise<void>;

  /**
   * @param wire `"msgpack"`: messages cross as msgpack frames both ways (structured clone for one
   *   that carries buffers to transfer, or that msgpack cannot encode); `"ipc"`: structured clone
   */
  constructor(
    moduleUrl: string,
    wire: "msgpack" | "ipc",
    resourceLimits: ResourceLimits | undefined,
    execArgv: readonly string[],
    events: WorkerEvents,
  ) {
    const start = workerStart("threadEntry", moduleUrl);
    this.#encoder = wire === "msgpack" ? new FrameEncoder() : undefined;
    const decoder = new FrameDecoder();
    this.#worker = new Worker(start.entry, {
      eval: start.eval,
      workerData: { moduleUrl, frames: wire === "msgpack" },
      execArgv: [...start.execArgv, ...execArgv],
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    this.#worker.on("message", (data: unknown) => {
      const m = decoder.decode(data) as FromWorker | undefined;
      if (m !== undefined) events.message(m);
    });
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
    if ((transfer === undefined || transfer.length === 0) && this.#encoder?.encode(message, this.#post) === true)
      return;
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
