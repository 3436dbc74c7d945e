/**
 * Entry of a child process of a weir pool: runs the {@link WorkerRuntime} over msgpack frames on
 * fd 3 (`WEIR_WIRE=msgpack`) or over the advanced-serialization IPC channel (`WEIR_WIRE=ipc`).
 * When the parent goes away (its end of the pipe or channel closes), the process kills its own
 * process group, so nothing it started outlives it.
 */
import { Socket } from "node:net";
import { serialize } from "node:v8";
import { Worker } from "node:worker_threads";
import { PackedPipe } from "./PackedPipe.js";
import type { FromWorker, ToWorker } from "./WireMessage.js";
import { WorkerRuntime } from "./WorkerRuntime.js";

const moduleUrl = process.env.WEIR_MODULE_URL ?? "";
const wire = process.env.WEIR_WIRE ?? "msgpack";
delete process.env.WEIR_MODULE_URL;
delete process.env.WEIR_WIRE;

function orphaned(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
}

// A watchdog thread notices the parent's death even while this thread is stuck in a user's
// function (the pipe's "end" event would never be handled): the process is re-parented, so its
// ppid changes, and the watchdog kills the whole group.
new Worker(
  `const { workerData: ppid } = require("node:worker_threads");
   setInterval(() => { if (process.ppid !== ppid) process.kill(-process.pid, "SIGKILL"); }, 250);`,
  { eval: true, workerData: process.ppid, stdout: false, stderr: false },
).unref();

let send: (message: FromWorker) => void = () => {};
const runtime = new WorkerRuntime(moduleUrl, {
  send: (message) => send(message),
  check: (value) => (wire === "ipc" ? void serialize(value) : PackedPipe.check(value)),
  memoryMb: () => process.memoryUsage.rss() / 1_048_576,
});
const onMessage = (m: ToWorker): void => runtime.receive(m);

if (wire === "ipc") {
  send = (m) => void process.send!(m);
  process.on("message", (m: ToWorker) => onMessage(m));
  process.on("disconnect", orphaned);
} else {
  const socket = new Socket({ fd: 3, readable: true, writable: true });
  const pipe = new PackedPipe<ToWorker, FromWorker>(socket, onMessage);
  send = (m) => void pipe.send(m);
  socket.on("end", orphaned);
  socket.on("error", orphaned);
}
