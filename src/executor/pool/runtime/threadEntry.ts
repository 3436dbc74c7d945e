/**
 * Entry of a worker thread of a weir pool: runs the {@link WorkerRuntime} over `parentPort`, with
 * msgpack frames both ways unless the pool's wire is `"ipc"` (see {@link FrameEncoder}). Results'
 * ArrayBuffers are transferred, not copied (such a reply goes by structured clone).
 */
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { collectTransferables } from "../wire/collectTransferables.js";
import { FRAME_RESET, FrameDecoder, FrameEncoder } from "../wire/FrameCodec.js";
import type { ToWorker } from "../wire/WireMessage.js";
import { unsendableResult } from "../wire/wireValueErrors.js";
import { WorkerRuntime } from "./WorkerRuntime.js";

const port = parentPort;
if (port === null) throw new Error("weir: threadEntry must run in a worker thread");
const { moduleUrl, frames, stdout, cell } = workerData as {
  moduleUrl: string;
  frames: boolean;
  stdout: "stderr" | "inherit" | "ignore";
  /** Where this thread's loop is, for the pool to read (see ItemCell). */
  cell: Int32Array;
};
// the pool's `stdout` setting, before the user's module (and console) first writes: the
// thread's stdout becomes its stderr (which Node forwards to the parent's), or drops what is
// written. Node keeps talking to the thread's own stdout object (flow control with the parent's
// end calls an internal method on `process.stdout`, Node 22 and later), so "ignore" keeps that
// object and only stops its writes from being posted: its chunks are acknowledged and dropped.
if (stdout === "stderr") {
  const target = process.stderr;
  Object.defineProperty(process, "stdout", { configurable: true, enumerable: true, get: () => target });
} else if (stdout === "ignore") {
  const own = process.stdout as unknown as { _writev: (chunks: unknown, done: () => void) => void };
  own._writev = (_chunks, done) => done();
}
const encoder = frames ? new FrameEncoder() : undefined;
const decoder = new FrameDecoder();
const post = (frame: Uint8Array): void =>
  port.postMessage(frame, frame.byteLength > 0 ? [frame.buffer as ArrayBuffer] : undefined);
const clone = (message: object, transfer: ArrayBuffer[]): void => port.postMessage(message, transfer);

const runtime = new WorkerRuntime(
  moduleUrl,
  "worker",
  {
    send(message, values) {
      let transfer: ArrayBuffer[] | undefined;
      if (values !== undefined) {
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v !== null && typeof v === "object") transfer = collectTransferables(v, transfer ?? []);
        }
      }
      if ((transfer === undefined || transfer.length === 0) && encoder?.encode(message, post, clone) === true) return;
      port.postMessage(message, transfer);
    },
    check(value) {
      try {
        structuredClone(value);
      } catch (error) {
        throw unsendableResult("worker", error);
      }
    },
    memoryMb: () => getHeapStatistics().used_heap_size / 1_048_576,
    // ends this thread only; unlike terminate(), it lets the thread's stdout and stderr drain
    exit: () => process.exit(0),
  },
  cell,
);
port.on("message", (data: unknown) => {
  const m = decoder.decode(data);
  if (m !== FRAME_RESET) runtime.receive(m as ToWorker);
});
port.on("close", () => runtime.close());
