/**
 * Entry of a worker thread of a weir pool: runs the {@link WorkerRuntime} over `parentPort`, with
 * msgpack frames both ways unless the pool's wire is `"ipc"` (see {@link FrameEncoder}). Results'
 * ArrayBuffers are transferred, not copied (such a reply goes by structured clone).
 */
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { collectTransferables } from "./collectTransferables.js";
import { FrameDecoder, FrameEncoder } from "./FrameCodec.js";
import type { ToWorker } from "./WireMessage.js";
import { WorkerRuntime } from "./WorkerRuntime.js";

const port = parentPort;
if (port === null) throw new Error("weir: threadEntry must run in a worker thread");
const { moduleUrl, frames } = workerData as { moduleUrl: string; frames: boolean };
const encoder = frames ? new FrameEncoder() : undefined;
const decoder = new FrameDecoder();
const post = (frame: Uint8Array): void =>
  port.postMessage(frame, frame.byteLength > 0 ? [frame.buffer as ArrayBuffer] : undefined);

const runtime = new WorkerRuntime(moduleUrl, {
  send(message, values) {
    let transfer: ArrayBuffer[] | undefined;
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== null && typeof v === "object") transfer = collectTransferables(v, transfer ?? []);
      }
    }
    if ((transfer === undefined || transfer.length === 0) && encoder?.encode(message, post) === true) return;
    port.postMessage(message, transfer);
  },
  check: (value) => void structuredClone(value),
  memoryMb: () => getHeapStatistics().used_heap_size / 1_048_576,
});
port.on("message", (data: unknown) => {
  const m = decoder.decode(data) as ToWorker | undefined;
  if (m !== undefined) runtime.receive(m);
});
port.on("close", () => runtime.close());
