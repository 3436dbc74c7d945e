/**
 * Entry of a child process of a weir pool: runs the {@link WorkerRuntime} over frames on fd 3,
 * msgpack or V8's structured-clone format as its argument says (see processEntryArgs; nothing of
 * weir's is read from the environment). When the parent goes away
 * (its end of the pipe or channel closes), the process kills its own process group, so nothing
 * it started outlives it.
 */
import { Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { FrameTooLargeError } from "../wire/FrameTooLargeError.js";
import { PackedPipe } from "../wire/PackedPipe.js";
import { takeEntryArgs } from "../wire/processEntryArgs.js";
import { MSG_RESULT, type FromWorker, type ToWorker } from "../wire/WireMessage.js";
import { unsendableResult } from "../wire/wireValueErrors.js";
import { WorkerRuntime } from "./WorkerRuntime.js";

const { moduleUrl, wire, maxFrameBytes } = takeEntryArgs(process.argv);

function orphaned(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
}

/**
 * True unless Node's permission model runs without `--allow-worker` (`process.permission` is
 * there only under the model).
 */
function mayStartThreads(): boolean {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  return permission === undefined || permission.has("worker");
}

// A watchdog thread notices the parent's death even while this thread is stuck in a user's
// function (the pipe's "end" event would never be handled): the process is re-parented, so its
// ppid changes, and the watchdog kills the whole group. Under the permission model without
// --allow-worker there is none (the child needs no permission for weir's sake): the closing pipe
// then ends the process once its thread is free again.
if (mayStartThreads()) {
  new Worker(
    `const { workerData: ppid } = require("node:worker_threads");
     setInterval(() => { if (process.ppid !== ppid) process.kill(-process.pid, "SIGKILL"); }, 250);`,
    { eval: true, workerData: process.ppid, stdout: false, stderr: false },
  ).unref();
}

/** Throws, for a result that cannot cross to the parent, the error the parent names and rebuilds. */
function checkResult(value: unknown): void {
  try {
    PackedPipe.check(value, wire, maxFrameBytes);
  } catch (error) {
    throw unsendableResult("process", error);
  }
}

/** True when `value` can cross to the parent on its own. */
function fits(value: unknown): boolean {
  try {
    checkResult(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A batch's results fit one by one but not together: no single item is to blame. The process
 * exits; the pool sends each of the batch's items again alone (see "Blame" in docs/contexts.md).
 */
function tooLargeTogether(error: FrameTooLargeError): never {
  process.stderr.write(
    `weir: the results of one batch together encode to ${error.bytes} bytes, over maxFrameBytes ` +
      `(${error.limitBytes}); this child process exits so that its pool sends the batch's items again one by one\n`,
  );
  process.exit(1);
}

const socket = new Socket({ fd: 3, readable: true, writable: true });
const runtime = new WorkerRuntime(moduleUrl, "process", {
  send(message) {
    try {
      pipe.send(message);
    } catch (error) {
      if (error instanceof FrameTooLargeError && message.t === MSG_RESULT && message.v.every(fits)) {
        tooLargeTogether(error);
      }
      throw error; // the runtime fails the results that cannot cross, and sends the others
    }
  },
  check: checkResult,
  memoryMb: () => process.memoryUsage.rss() / 1_048_576,
  exit: () => process.exit(0),
});
// the parent is trusted: a frame it sends that this end cannot read means the pipe is broken
const pipe = new PackedPipe<ToWorker, FromWorker>(socket, wire, maxFrameBytes, {
  message: (m) => runtime.receive(m),
  broken: orphaned,
});
socket.on("end", orphaned);
socket.on("error", orphaned);
