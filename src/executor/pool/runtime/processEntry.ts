/**
 * Entry of a child process of a weir pool: runs the {@link WorkerRuntime} over frames on fd 3,
 * msgpack or V8's structured-clone format as its argument says (see processEntryArgs; nothing of
 * weir's is read from the environment). When the parent goes away (its end of the pipe closes),
 * the process kills its own process group, so nothing it started outlives it; a watchdog shell
 * does the same when this thread is busy (see parentWatch).
 */
import { Socket } from "node:net";
import { FrameTooLargeError } from "../wire/FrameTooLargeError.js";
import { PackedPipe } from "../wire/PackedPipe.js";
import { takeEntryArgs } from "../wire/processEntryArgs.js";
import { MSG_RESULT, type FromWorker, type ToWorker } from "../wire/WireMessage.js";
import { unsendableResult } from "../wire/wireValueErrors.js";
import { WorkerRuntime } from "./WorkerRuntime.js";
import { watchParent } from "./parentWatch.js";

const { moduleUrl, wire, maxFrameBytes } = takeEntryArgs(process.argv);

function orphaned(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
}

// kills this process's group when the parent dies, even while a user's function holds this thread
watchParent();

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
