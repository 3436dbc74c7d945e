import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { workerStart } from "./entryLoader.js";
import { PackedPipe } from "./PackedPipe.js";
import { killGroup, trackGroup, untrackGroup } from "./processGroups.js";
import type { FromWorker, ToWorker } from "./WireMessage.js";
import type { WorkerEvents, WorkerHandle } from "./WorkerHandle.js";

/** What V8 prints before it aborts on an exhausted heap. */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit/;
/** How much of a child's last stderr output is kept to classify its death. */
const TAIL_BYTES = 1024;

/** The old-generation heap limit that `execArgv` sets (`--max-old-space-size=N`), if any. */
function heapLimitIn(execArgv: readonly string[]): number | undefined {
  for (const arg of execArgv) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m !== null) return Number(m[1]);
  }
  return undefined;
}

/** How messages cross to a child process. */
export type ProcessWire = "msgpack" | "ipc";

/**
 * A child process running `processEntry`, spawned detached as the leader of its own process
 * group; `kill()` and its exit kill the whole group, so nothing it started survives it.
 */
export class ProcessHandle implements WorkerHandle {
  readonly #child: ChildProcess;
  readonly #pid: number;
  readonly #pipe: PackedPipe<FromWorker, ToWorker> | undefined;
  readonly exited: Promise<void>;

  /**
   * The child's stderr passes through to the parent's; its tail tells an abort (SIGABRT) from V8
   * running out of heap from other aborts.
   *
   * @param heapLimitMb old-generation heap limit (`--max-old-space-size`); with it, or with the
   *   same flag in `execArgv`, an abort is reported as out of memory
   */
  constructor(
    moduleUrl: string,
    wire: ProcessWire,
    execArgv: readonly string[],
    heapLimitMb: number | undefined,
    events: WorkerEvents,
  ) {
    const start = workerStart("processEntry", moduleUrl);
    const limit = heapLimitMb === undefined ? [] : [`--max-old-space-size=${heapLimitMb}`];
    this.#child = spawn(process.execPath, [...start.execArgv, ...limit, ...execArgv, fileURLToPath(start.entry)], {
      detached: true,
      stdio: ["ignore", "inherit", "pipe", wire === "ipc" ? "ipc" : "pipe"],
      serialization: "advanced",
      env: { ...process.env, WEIR_MODULE_URL: moduleUrl, WEIR_WIRE: wire },
    });
    const pid = this.#child.pid;
    let spawnError: unknown;
    this.#child.on("error", (error) => {
      spawnError = error;
    });
    this.#pid = pid ?? -1;
    if (pid !== undefined) trackGroup(pid);
    const limitMb = heapLimitMb ?? heapLimitIn(execArgv);
    let tail = "";
    const stderr = this.#child.stderr!;
    stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString("latin1")).slice(-TAIL_BYTES);
    });
    const stderrEnded = new Promise<void>((resolve) => {
      stderr.once("close", resolve);
      stderr.once("error", () => resolve());
    });
    if (wire === "ipc") {
      this.#pipe = undefined;
      this.#child.on("message", (m) => events.message(m as FromWorker));
    } else {
      const stream = this.#child.stdio[3] as Duplex;
      stream.on("error", () => {}); // the exit event reports what happened
      this.#pipe = new PackedPipe<FromWorker, ToWorker>(stream, (m) => events.message(m));
    }
    this.exited = new Promise<void>((resolve) => {
      this.#child.once("exit", (code, signal) => {
        if (pid !== undefined) {
          killGroup(pid); // whatever the child left behind
          untrackGroup(pid);
        }
        const aborted = signal === "SIGABRT" || code === 134;
        const report = (): void => {
          const outOfMemory = aborted && (limitMb !== undefined || OUT_OF_MEMORY.test(tail));
          events.exit({ code: code ?? undefined, signal: signal ?? undefined, error: spawnError, outOfMemory });
          resolve();
        };
        if (!aborted || limitMb !== undefined) {
          report();
          return;
        }
        // read what it printed last (the group is dead, so the pipe closes at once)
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([stderrEnded, new Promise<void>((r) => (timer = setTimeout(r, 200)))]).then(() => {
          clearTimeout(timer);
          report();
        });
      });
    });
  }

  send(message: ToWorker, _transfer: ArrayBuffer[] | undefined): void {
    if (this.#pipe !== undefined) this.#pipe.send(message);
    else this.#child.send(message);
  }

  kill(): void {
    if (this.#pid > 0) killGroup(this.#pid);
  }

  /** The child's process id (-1 when it could not be spawned). */
  get pid(): number {
    return this.#pid;
  }

  ref(): void {
    this.#child.ref();
    this.#child.channel?.ref();
    (this.#child.stderr as (Duplex & { ref?: () => void }) | null)?.ref?.();
    const stream = this.#child.stdio[3] as (Duplex & { ref?: () => void }) | null;
    stream?.ref?.();
  }

  unref(): void {
    this.#child.unref();
    this.#child.channel?.unref();
    (this.#child.stderr as (Duplex & { unref?: () => void }) | null)?.unref?.();
    const stream = this.#child.stdio[3] as (Duplex & { unref?: () => void }) | null;
    stream?.unref?.();
  }
}
