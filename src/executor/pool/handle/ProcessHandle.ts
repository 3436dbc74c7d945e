import { spawn, type ChildProcess } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { WorkerProtocolError } from "../../../errors/WorkerProtocolError.js";
import { BatchLabels } from "./BatchLabels.js";
import { workerStart } from "./workerStart.js";
import { PackedPipe } from "../wire/PackedPipe.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { LIFELINE_FD, writeEntryArgs } from "../wire/processEntryArgs.js";
import { killGroup, trackGroup, untrackGroup } from "./processGroups.js";
import { unsendableBatch } from "../wire/wireValueErrors.js";
import { workerEnvVariables } from "../stage/WorkerEnv.js";
import { MSG_BATCH, type FromWorker, type ToWorker } from "../wire/WireMessage.js";
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

/** Where a child's stdout goes, by the pool's `stdout` setting: fd 2 is the parent's stderr. */
const STDOUT: Readonly<Record<PoolSettings["stdout"], 2 | "inherit" | "ignore">> = {
  stderr: 2,
  inherit: "inherit",
  ignore: "ignore",
};

/**
 * A child process running `processEntry`, spawned detached as the leader of its own process
 * group; `kill()` and its exit kill the whole group, so nothing it started survives it. What it
 * sends is checked before the pool sees it: bytes that are not a frame, a frame over
 * `maxFrameBytes` (from its header, before anything is allocated) or a message no worker sends
 * kill the group, and the exit reports a `WorkerProtocolError`, so the pool replaces it as it
 * would a crashed one. weir's own parameters go in its arguments, never in its environment.
 */
export class ProcessHandle implements WorkerHandle {
  readonly #child: ChildProcess;
  readonly #pid: number;
  readonly #pipe: PackedPipe<FromWorker, ToWorker>;
  readonly #settings: PoolSettings;
  readonly #labels = new BatchLabels();
  /** Set once the child broke the protocol: nothing more it sends is delivered. */
  #violation: WorkerProtocolError | undefined;
  readonly exited: Promise<void>;

  /**
   * Takes `wire`, `execArgv`, `env`, `stdout`, `maxFrameBytes` and the heap limit
   * (`resourceLimits.maxOldGenerationSizeMb`, as `--max-old-space-size`) from the settings. The
   * child's stderr passes through to the parent's; its tail tells an abort (SIGABRT) from V8
   * running out of heap from other aborts: with a heap limit, here or as the same flag in
   * `execArgv`, an abort is reported as out of memory.
   */
  constructor(moduleUrl: string, settings: PoolSettings, events: WorkerEvents) {
    const { wire, execArgv } = settings;
    const heapLimitMb = settings.resourceLimits?.maxOldGenerationSizeMb;
    this.#settings = settings;
    const start = workerStart("processEntry", moduleUrl);
    const limit = heapLimitMb === undefined ? [] : [`--max-old-space-size=${heapLimitMb}`];
    const args = writeEntryArgs({ moduleUrl, wire, maxFrameBytes: settings.maxFrameBytes });
    this.#child = spawn(
      process.execPath,
      [...start.execArgv, ...limit, ...execArgv, fileURLToPath(start.entry), ...args],
      {
        detached: true,
        // fd 3 carries the frames; fd 4 is the lifeline, open while this process lives
        stdio: ["ignore", STDOUT[settings.stdout], "pipe", "pipe", "pipe"],
        env: workerEnvVariables(settings.env) ?? process.env,
      },
    );
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
    const receive = (value: unknown): void => {
      if (this.#violation !== undefined) return;
      const m = this.#labels.read(value);
      if (typeof m === "string") this.#broken(`it sent ${m}`);
      else events.message(m);
    };
    const stream = this.#child.stdio[3] as Duplex;
    stream.on("error", () => {}); // the exit event reports what happened
    // nothing is written to it or read from it: it never keeps this process running
    const lifeline = this.#child.stdio[LIFELINE_FD] as (Duplex & { unref?: () => void }) | null;
    lifeline?.on("error", () => {});
    lifeline?.unref?.();
    this.#pipe = new PackedPipe<FromWorker, ToWorker>(stream, wire, settings.maxFrameBytes, {
      message: receive,
      broken: (reason, cause) => this.#broken(`it sent ${reason}`, cause),
    });
    this.exited = new Promise<void>((resolve) => {
      this.#child.once("exit", (code, signal) => {
        lifeline?.destroy();
        if (pid !== undefined) {
          killGroup(pid); // whatever the child left behind
          untrackGroup(pid);
        }
        const aborted = signal === "SIGABRT" || code === 134;
        const report = (): void => {
          const outOfMemory = aborted && (limitMb !== undefined || OUT_OF_MEMORY.test(tail));
          const error = this.#violation ?? spawnError;
          events.exit({ code: code ?? undefined, signal: signal ?? undefined, error, outOfMemory });
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

  /**
   * Throws an `ItemNotSerializableError` or `ItemTooLargeError` naming the item when a batch
   * cannot be sent; nothing of it is written then.
   */
  send(message: ToWorker, _transfer: ArrayBuffer[] | undefined): number {
    this.#labels.sent(message);
    try {
      return this.#pipe.send(message);
    } catch (error) {
      if (message.t !== MSG_BATCH) throw error;
      this.#labels.unsent(message);
      const { wire, maxFrameBytes } = this.#settings;
      throw unsendableBatch("process", this.#labels, message, error, (v) => PackedPipe.check(v, wire, maxFrameBytes));
    }
  }

  kill(): void {
    if (this.#pid > 0) killGroup(this.#pid);
  }

  /** The child's process id (-1 when it could not be spawned). */
  get pid(): number {
    return this.#pid;
  }

  /** The child sent something no worker sends: stop reading it and kill its group; its exit reports why. */
  #broken(reason: string, cause?: unknown): void {
    if (this.#violation !== undefined) return;
    this.#violation = new WorkerProtocolError("process", reason, cause);
    this.#pipe.stop();
    this.kill();
  }

  ref(): void {
    this.#child.ref();
    (this.#child.stderr as (Duplex & { ref?: () => void }) | null)?.ref?.();
    const stream = this.#child.stdio[3] as (Duplex & { ref?: () => void }) | null;
    stream?.ref?.();
  }

  unref(): void {
    this.#child.unref();
    (this.#child.stderr as (Duplex & { unref?: () => void }) | null)?.unref?.();
    const stream = this.#child.stdio[3] as (Duplex & { unref?: () => void }) | null;
    stream?.unref?.();
  }
}
