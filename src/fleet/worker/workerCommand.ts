import { describeError } from "../../cli/describe.js";
import type { WorkerCommand } from "../../cli/parseCommand.js";
import type { CliIo } from "../../cli/stdoutToStderr.js";
import type { FleetWorker } from "./FleetWorker.js";
import { startFleetWorker } from "./startFleetWorker.js";

/**
 * `weir worker`: starts a fleet worker and serves until SIGTERM or SIGINT. The first signal stops
 * it gracefully (entries not started go back at once, running ones get `--grace-ms`), a second
 * one hands everything back at once. Resolves with the exit code: 0 stopped, 1 the worker could
 * not start (a module, Redis) or lost Redis for good.
 */
export async function workerCommand(command: WorkerCommand, io: CliIo): Promise<number> {
  const log = (line: string): void => void io.err.write(`${line}\n`);
  let worker: FleetWorker;
  try {
    worker = await startFleetWorker({
      modules: command.modules,
      redis: command.redis,
      ...(command.exports === undefined ? {} : { exports: command.exports }),
      ...(command.concurrency === undefined ? {} : { concurrency: command.concurrency }),
      ...(command.prefetch === undefined ? {} : { prefetch: command.prefetch }),
      ...(command.leaseMs === undefined ? {} : { leaseMs: command.leaseMs }),
      ...(command.maxDeliveries === undefined ? {} : { maxDeliveries: command.maxDeliveries }),
      ...(command.maxOutageMs === undefined ? {} : { maxOutageMs: command.maxOutageMs }),
      ...(command.prefix === undefined ? {} : { prefix: command.prefix }),
      ...(command.name === undefined ? {} : { name: command.name }),
      log,
    });
  } catch (error) {
    log(describeError(error));
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    let code = 0;
    const finish = (): void => {
      process.removeListener("SIGTERM", onSignal);
      process.removeListener("SIGINT", onSignal);
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        log(`weir worker ${worker.name}: ${signal}: stopping (running entries get ${command.graceMs} ms)`);
        void worker.stop(command.graceMs).then(finish);
      } else {
        log(`weir worker ${worker.name}: ${signal} again: handing everything back now`);
        void worker.stop(0);
      }
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    void worker.failed.then((error) => {
      code = 1;
      log(describeError(error));
      void worker.stop(0).then(finish);
    });
  });
}
