import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { WorkerProtocolError } from "../../../errors/WorkerProtocolError.js";
import { BatchLabels } from "./BatchLabels.js";
import { workerStart } from "./workerStart.js";
import { FRAME_RESET, FrameDecoder, FrameEncoder } from "../wire/FrameCodec.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { unsendableBatch } from "../wire/wireValueErrors.js";
import { workerEnvVariables } from "../stage/WorkerEnv.js";
import { CELL_AT, CELL_WORDS } from "../wire/ItemCell.js";
import { MSG_BATCH, type ToWorker } from "../wire/WireMessage.js";
import type { WorkerEvents, WorkerHandle } from "./WorkerHandle.js";

/** Longest wait, after a thread exited, for its stdout and stderr to reach the parent's. */
const STDIO_DRAIN_MS = 1_000;

/** Resolves when a thread's stdio stream has ended (at once if it has). */
function ended(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
}

/**
 * A worker thread running `threadEntry`. Every message it posts is checked before the pool sees
 * it: one that is not a frame, not a worker's message or malformed (a stage posting on the
 * thread's own `parentPort`) terminates the thread, and its exit reports a
 * `WorkerProtocolError`, so the pool replaces it as it would a crashed one.
 */
export class ThreadHandle implements WorkerHandle {
  readonly #worker: Worker;
  /** msgpack frames to the thread (`wire: "msgpack"`); undefined: structured clone only. */
  readonly #encoder: FrameEncoder | undefined;
  readonly #post = (frame: Uint8Array): void =>
    this.#worker.postMessage(frame, frame.byteLength > 0 ? [frame.buffer as ArrayBuffer] : undefined);
  readonly #clone = (message: object, transfer: ArrayBuffer[]): void => this.#worker.postMessage(message, transfer);
  readonly #labels = new BatchLabels();
  /** The error the thread reported before exiting, if any. */
  #error: unknown;
  /** Set once the thread broke the protocol: nothing more it sends is delivered. */
  #violation: WorkerProtocolError | undefined;
  #killed = false;
  readonly exited: Promise<void>;
  readonly cell = new Int32Array(new SharedArrayBuffer(CELL_WORDS * Int32Array.BYTES_PER_ELEMENT));

  /**
   * Takes `wire` (`"msgpack"`: frames both ways, structured clone for a message that carries
   * buffers to transfer or that msgpack cannot encode; `"ipc"`: structured clone),
   * `resourceLimits`, `execArgv`, `env` and `stdout` from the settings.
   */
  constructor(moduleUrl: string, settings: PoolSettings, events: WorkerEvents) {
    const start = workerStart("threadEntry", moduleUrl);
    this.cell[CELL_AT] = -1; // in no item yet
    this.#encoder = settings.wire === "msgpack" ? new FrameEncoder() : undefined;
    const decoder = new FrameDecoder();
    const env = workerEnvVariables(settings.env);
    this.#worker = new Worker(start.entry, {
      eval: start.eval,
      // the thread routes its own stdout (threadEntry): reading `stdout: true` here would keep
      // the parent alive while the thread lives, unref'd or not
      workerData: { moduleUrl, frames: settings.wire === "msgpack", stdout: settings.stdout, cell: this.cell },
      execArgv: [...start.execArgv, ...settings.execArgv],
      ...(env === undefined ? {} : { env }),
      ...(settings.resourceLimits === undefined ? {} : { resourceLimits: settings.resourceLimits }),
    });
    this.#worker.on("message", (data: unknown) => {
      if (this.#violation !== undefined) return;
      let value: unknown;
      try {
        value = decoder.decode(data);
      } catch (error) {
        this.#broken(`a frame of ${(data as Uint8Array).byteLength} bytes that does not decode (msgpack)`, error);
        return;
      }
      if (value === FRAME_RESET) return;
      const m = this.#labels.read(value);
      if (typeof m === "string") this.#broken(m);
      else events.message(m);
    });
    this.#worker.on("messageerror", (error: unknown) => this.#broken("a message that cannot be deserialized", error));
    this.#worker.on("error", (error: unknown) => {
      this.#error = error;
    });
    // what the thread wrote reaches the parent's streams after its exit: the exit is reported
    // once both have ended, so a run that ends with its pool has all of its workers' output
    const drained = Promise.all([ended(this.#worker.stdout), ended(this.#worker.stderr)]);
    this.exited = new Promise<void>((resolve) => {
      this.#worker.once("exit", (code: number) => {
        let timer: NodeJS.Timeout | undefined;
        const guard = new Promise<void>((r) => (timer = setTimeout(r, STDIO_DRAIN_MS)));
        void Promise.race([drained, guard]).then(() => {
          clearTimeout(timer);
          const error = this.#violation ?? this.#error;
          const outOfMemory = (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
          events.exit({ code, signal: undefined, error, outOfMemory });
          resolve();
        });
      });
    });
  }

  /**
   * Throws an `ItemNotSerializableError` naming the item when a batch cannot be sent. Returns -1:
   * what a message took on the way is not measured here.
   */
  send(message: ToWorker, transfer: ArrayBuffer[] | undefined): number {
    this.#labels.sent(message);
    try {
      if (
        (transfer === undefined || transfer.length === 0) &&
        this.#encoder?.encode(message, this.#post, this.#clone) === true
      )
        return -1;
      this.#worker.postMessage(message, transfer);
      return -1;
    } catch (error) {
      if (message.t !== MSG_BATCH) throw error;
      this.#labels.unsent(message);
      throw unsendableBatch("worker", this.#labels, message, error, (v) => void structuredClone(v));
    }
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

  /** The thread sent something no worker sends: stop it; its exit reports why. */
  #broken(what: string, cause?: unknown): void {
    if (this.#violation !== undefined) return;
    this.#violation = new WorkerProtocolError("worker", `it sent ${what}`, cause);
    this.kill();
  }
}
