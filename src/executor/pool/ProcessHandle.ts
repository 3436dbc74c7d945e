import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { workerStart } from "./entryLoader.js";
import { PackedPipe } from "./PackedPipe.js";
import { killGroup, trackGroup, untrackGroup } from "./processGroups.js";
import type { FromWorker, ToWorker } from "./WireMessage.js";
import type { WorkerEvents, WorkerHandle } from "./WorkerHandle.js";

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
   * @param heapLimitMb old-generation heap limit (`--max-old-space-size`); with it, an abort
   *   (SIGABRT, what V8 does when the heap is exhausted) is reported as out of memory
   */
  constructor(moduleUrl: string, wire: ProcessWire, execArgv: readonly string[], heapLimitMb: number | undefined, events: WorkerEvents) {
    const start = workerStart("processEntry", moduleUrl);
    const limit = heapLimitMb === undefined ? [] : [`--max-old-space-size=${heapLimitMb}`];
    this.#child = spawn(process.execPath, [...start.execArgv, ...limit, ...execArgv, fileURLToPath(start.entry)], {
      detached: true,
      stdio: ["ignore", "inherit", "inherit", wire === "ipc" ? "ipc" : "pipe"],
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
        const outOfMemory = heapLimitMb !== undefined && (signal === "SIGABRT" || code === 134);
        events.exit({ code: code ?? undefined, signal: signal ?? undefined, error: spawnError, outOfMemory });
        resolve();
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

  ref(): void {
    this.#child.ref();
    this.#child.channel?.ref();
    const stream = this.#child.stdio[3] as (Duplex & { ref?: () => void }) | null;
    stream?.ref?.();
  }

  unref(): void {
    this.#child.unref();
    this.#child.channel?.unref();
    const stream = this.#child.stdio[3] as (Duplex & { unref?: () => void }) | null;
    stream?.unref?.();
  }
}
