/**
 * Entry of a worker thread of a weir pool: runs the {@link WorkerRuntime} over `parentPort`.
 * Results' ArrayBuffers are transferred, not copied.
 */
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { collectTransferables } from "./collectTransferables.js";
import type { ToWorker } from "./WireMessage.js";
import { WorkerRuntime } from "./WorkerRuntime.js";

const port = parentPort;
if (port === null) throw new Error("weir: threadEntry must run in a worker thread");
const { moduleUrl } = workerData as { moduleUrl: string };

const runtime = new WorkerRuntime(moduleUrl, {
  send(message, values) {
    let transfer: ArrayBuffer[] | undefined;
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== null && typeof v === "object") transfer = collectTransferables(v, transfer ?? []);
      }
    }
    port.postMessage(message, transfer);
  },
  check: (value) => void structuredClone(value),
  memoryMb: () => getHeapStatistics().used_heap_size / 1_048_576,
});
port.on("message", (m: ToWorker) => runtime.receive(m));
port.on("close", () => runtime.close());
