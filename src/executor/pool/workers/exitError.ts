import { WorkerCrashedError } from "../../../errors/WorkerCrashedError.js";
import { WorkerOutOfMemoryError } from "../../../errors/WorkerOutOfMemoryError.js";
import { WorkerProtocolError } from "../../../errors/WorkerProtocolError.js";
import { STOPPED_AFTER_BEATS } from "./Heartbeat.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import type { StopReason } from "./PoolWorker.js";
import type { WorkerExit } from "../handle/WorkerHandle.js";

/**
 * The error the items of a worker that ended get: out of memory, or why the pool stopped it, or
 * how it exited on its own.
 */
export function exitError(
  ctx: "worker" | "process",
  s: PoolSettings,
  stopped: StopReason | undefined,
  exit: WorkerExit,
): Error {
  if (exit.outOfMemory) return new WorkerOutOfMemoryError(ctx, exit.error);
  switch (stopped) {
    case "stuck":
      return new WorkerCrashedError(
        ctx,
        `was stopped: an item it held ignored its cancellation for ${s.cancelGraceMs} ms`,
      );
    case "overdue":
      return new WorkerCrashedError(ctx, "was stopped: an item it held ran past its timeout");
    case "closed":
      return new WorkerCrashedError(ctx, "was stopped: the pool closed");
    case "frozen":
      return new WorkerCrashedError(
        ctx,
        `was killed: the system reported it stopped (SIGSTOP or SIGTSTP) and it did not answer heartbeats for ${STOPPED_AFTER_BEATS * s.heartbeatMs} ms`,
      );
    case "unresponsive":
      return new WorkerCrashedError(
        ctx,
        `was stopped: its event loop did not answer heartbeats for ${s.unresponsiveMs} ms (pool option unresponsiveMs)`,
      );
    default:
      if (exit.error instanceof WorkerProtocolError) {
        return new WorkerCrashedError(ctx, `was stopped: ${exit.error.reason}`, { cause: exit.error });
      }
      return new WorkerCrashedError(ctx, "exited while holding items", {
        exitCode: exit.code,
        signalName: exit.signal,
        cause: exit.error,
      });
  }
}
