import { availableParallelism } from "node:os";
import type { ResourceLimits } from "node:worker_threads";
import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";
import {
  boolean,
  knownKeys,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
} from "../../../options/validate.js";
import { workerEnvKey, workerEnvSetting, type WorkerEnv } from "./WorkerEnv.js";
import { workerDataCopy, workerDataKey } from "./workerData.js";

/**
 * Options of a worker-thread or child-process pool. Stages that name the same module with equal
 * options share one pool.
 *
 * @example
 * ```ts
 * .map(worker(new URL("./resize.js", import.meta.url), "resize", { maxWorkers: 4, idleTimeoutMs: 5_000 }))
 * ```
 */
export interface PoolOptions {
  /**
   * Workers kept alive even when idle.
   * @default 0
   * @example `{ minWorkers: 2 }` to pay start-up before the first item
   */
  readonly minWorkers?: number;
  /**
   * Most workers the pool runs at once.
   * @default os.availableParallelism()
   * @example `{ maxWorkers: 4 }`
   */
  readonly maxWorkers?: number;
  /**
   * A worker idle this long is stopped (while more than `minWorkers` run).
   * @default 10000
   * @example `{ idleTimeoutMs: 1_000 }`
   */
  readonly idleTimeoutMs?: number;
  /**
   * How long a pool that no run uses any more stays up, its workers started and its modules
   * loaded, so that the next run naming the same module and options reuses it at no start-up
   * cost (a server running a pipeline per request). Its idle workers still stop after
   * `idleTimeoutMs`, down to `minWorkers`. A warm pool never keeps the process alive;
   * `closeIdlePools()` closes it at once. 0 closes the pool when its last run ends.
   * @default 0
   * @example `{ keepWarmMs: 60_000, minWorkers: 2 }`
   */
  readonly keepWarmMs?: number;
  /**
   * Replace a worker after it has taken this many items (0: never). Guards against leaks in the
   * module.
   * @default 0
   * @example `{ maxItemsPerWorker: 100_000 }`
   */
  readonly maxItemsPerWorker?: number;
  /**
   * Replace a worker once its memory passes this many MB (heap used for a thread, RSS for a
   * process), checked at most every 100 ms (0: never).
   * @default 0
   * @example `{ maxMemoryMb: 512 }`
   */
  readonly maxMemoryMb?: number;
  /**
   * V8 heap limits of each worker. Threads take them all; a process takes
   * `maxOldGenerationSizeMb` (as `--max-old-space-size`). A worker over them fails its items with
   * `WEIR_WORKER_OUT_OF_MEMORY` and is replaced.
   * @default Node's defaults
   * @example `{ resourceLimits: { maxOldGenerationSizeMb: 256 } }`
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * After an item's signal aborts (timeout, cancellation), how long it may take to stop before
   * its worker is terminated (thread) or its process group killed; the worker's other items then
   * fail with `WEIR_WORKER_CRASHED`.
   * @default 250
   * @example `{ cancelGraceMs: 1_000 }`
   */
  readonly cancelGraceMs?: number;
  /**
   * Most items each worker runs inside the stage's functions at once. A batch carries many items
   * in one message, but its items enter the function one after another: an asynchronous item
   * holds its slot until its promise settles (or it runs past `timeoutMs`), so with the default
   * of 1 an async function is never re-entered, as a function that holds a non-reentrant resource
   * (a connection, a native handle) needs. Raise it for async I/O in the worker. Synchronous
   * functions run one item at a time whatever it is. A stage then runs at most
   * `min(concurrency, maxWorkers) × concurrencyPerWorker` items at once (`plan()` shows it).
   * @default 1
   * @example `{ concurrencyPerWorker: 16 }` for a worker that awaits network calls
   */
  readonly concurrencyPerWorker?: number;
  /**
   * How many workers in a row may fail to load the module (it throws at top level, or a
   * top-level `await` rejects) before the pool gives up. Each failure stops that worker and starts
   * another after a backoff (100 ms, doubling, at most 5 s); the items it held go to other workers
   * without counting as attempts. Once the pool gives up, the items waiting for it fail with a
   * `ModuleLoadError` (`WEIR_LOAD_FAILED`, the module's error as `cause`), and so do new ones for
   * 5 s; after that, the next item starts one worker to try again.
   * @default 5
   * @example `{ loadAttempts: 1 }` to fail at once on a module that cannot load
   */
  readonly loadAttempts?: number;
  /**
   * How often, in ms, the pool checks that a worker holding items is alive: it sends a heartbeat
   * that the worker's own event loop answers. A child process that does not answer and that the
   * operating system reports stopped (`SIGSTOP`, `SIGTSTP`) is killed and replaced after three
   * heartbeats; what it held is handled as for a crash. A worker whose loop is merely busy
   * (a long synchronous computation) is left alone unless `unresponsiveMs` is set. 0: no checks.
   * @default 1000
   * @example `{ heartbeatMs: 200 }`
   */
  readonly heartbeatMs?: number;
  /**
   * Kill and replace a worker (thread or process) holding items whose event loop has not
   * answered a heartbeat for this long, whatever it is doing: a deadlock in native code, an
   * endless loop, and also a long synchronous computation. Set it above the longest synchronous
   * stretch an item may take. 0: only stopped processes are replaced (see `heartbeatMs`).
   * @default 0
   * @example `{ unresponsiveMs: 30_000 }`
   */
  readonly unresponsiveMs?: number;
  /**
   * Batch duration the adaptive batch size aims at, in ms of work in the worker.
   * @default 1
   * @example `{ targetBatchMs: 5 }`
   */
  readonly targetBatchMs?: number;
  /**
   * Largest batch of items sent to a worker in one message. Below it the batch size adapts to
   * about `targetBatchMs` of work, and for a child process to frames of about 4 MiB (a quarter of
   * `maxFrameBytes` at most), learned from the frames it sent: this bound matters for tiny items.
   * @default 1024
   * @example `{ maxBatchSize: 4096 }` for tiny numbers through child processes: a quarter of the
   * messages, each a system call and a wake-up on both sides
   */
  readonly maxBatchSize?: number;
  /**
   * Batches in flight per worker (pipelining: the next batch waits in the worker while one runs).
   * @default 2
   * @example `{ batchesPerWorker: 3 }`
   */
  readonly batchesPerWorker?: number;
  /**
   * Transfer ArrayBuffers found in items to the worker instead of copying them (threads only;
   * results are always transferred back). A transferred buffer is detached in the parent, so the
   * item cannot be sent again: a retry of it, or a resend after a batch-mate crashed its worker,
   * fails with `WEIR_ITEM_TRANSFERRED`, and its dead letter holds empty arrays. Set `false` to keep
   * items replayable (retries, crash isolation, dead letters with their bytes), at a copy per item.
   * @default true
   * @example `{ transferItems: false }`
   */
  readonly transferItems?: boolean;
  /**
   * How messages cross: `"msgpack"` (msgpackr frames: on a pipe to a child process; as a
   * transferred buffer to a thread, where a message with buffers to transfer, or one msgpack
   * cannot encode, goes by structured clone instead) or `"ipc"` (structured clone: V8's
   * serialization, as Node's IPC channel uses, in frames on the same pipe for processes;
   * `postMessage` for threads). msgpack measured about 3× faster for object items and on a par
   * for numbers; V8's format 2–3× faster for strings, so under `"msgpack"` a message that carries
   * strings and nothing but primitives besides goes in V8's format (docs/contexts.md, "The wire").
   * @default "msgpack"
   * @example `{ wire: "ipc" }` for values msgpack cannot carry
   */
  readonly wire?: "msgpack" | "ipc";
  /**
   * Extra Node flags for each worker (e.g. `["--max-old-space-size=512"]` for processes).
   * @default []
   * @example `{ execArgv: ["--enable-source-maps"] }`
   */
  readonly execArgv?: readonly string[];
  /**
   * Largest message, in bytes, that may cross the pipe to or from a child process (either
   * wire): a batch of items one way, their results the other. The length a frame declares is
   * checked before anything is allocated for it. A child that sends a larger frame (or bytes that
   * are not a frame) is stopped and replaced, its items failing with `WEIR_WORKER_CRASHED` (cause
   * `WEIR_WORKER_PROTOCOL`); an item or a result over it fails alone with `WEIR_ITEM_TOO_LARGE`
   * (items that fit one by one but not as one batch are sent one by one). Threads read no
   * frames: a message to or from a thread is not bounded by it.
   * @default 268435456 (256 MiB)
   * @example `{ maxFrameBytes: 1024 ** 3 }` for items up to 1 GiB
   */
  readonly maxFrameBytes?: number;
  /**
   * The environment variables workers see: `"inherit"` (all of the parent's `process.env`),
   * an allow-list of names copied from it (`["PATH", "HOME"]`), or an object of exactly the
   * variables to set. A child process gets them as its environment; a thread as its
   * `process.env` (a thread shares the parent's memory, so this hides nothing from it). weir
   * passes nothing of its own through the environment.
   * @default "inherit"
   * @example `{ env: ["PATH", "DATABASE_URL"] }` so a child process never sees the parent's other secrets
   */
  readonly env?: WorkerEnv;
  /**
   * Where what a worker writes to its stdout goes: `"stderr"` (the parent's stderr, so the
   * parent's own stdout stays machine-readable, e.g. `weir run --json`), `"inherit"` (the
   * parent's stdout, as plain Node does) or `"ignore"`. A worker's stderr always goes to the
   * parent's stderr.
   * @default "stderr"
   * @example `{ stdout: "inherit" }` for a stage whose console.log is the program's output
   */
  readonly stdout?: "stderr" | "inherit" | "ignore";
  /**
   * Configuration every worker gets, as data: the module's `setup({ workerData })` receives it,
   * and so does every call as `ctx.workerData`. Copied when the stage is defined (later changes
   * to the object change nothing) and checked then: a value that cannot reach a worker (a
   * function, a symbol; for `child()` over msgpack, a cycle; over `maxFrameBytes`) is refused
   * with `WEIR_INVALID_OPTION`. It travels as a message, never in the command line or the
   * environment, so it does not show in `ps`. Stages with equal `workerData` (same structure and
   * values) share a pool.
   * @default undefined
   * @example `{ workerData: { model: "small", dbUrl: process.env.DB_URL } }`
   */
  readonly workerData?: unknown;
  /**
   * How long a worker may take to end gracefully when the pool retires it (idle, recycled,
   * pool closed): to run the module's `teardown` and exit on its own, its exit handlers run
   * and its output flushed. A worker still running items gets `cancelGraceMs` first for them to
   * stop (their signals abort). Past it, the thread is terminated or the process group killed.
   * 0 ends workers at once, without teardown.
   * @default 5000
   * @example `{ closeGraceMs: 30_000 }` for a teardown that flushes a large buffer
   */
  readonly closeGraceMs?: number;
}

/** Pool options with every field present. */
export interface PoolSettings {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly idleTimeoutMs: number;
  readonly keepWarmMs: number;
  readonly maxItemsPerWorker: number;
  readonly maxMemoryMb: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly cancelGraceMs: number;
  readonly concurrencyPerWorker: number;
  readonly loadAttempts: number;
  readonly heartbeatMs: number;
  readonly unresponsiveMs: number;
  readonly targetBatchMs: number;
  readonly maxBatchSize: number;
  readonly batchesPerWorker: number;
  readonly transferItems: boolean;
  readonly wire: "msgpack" | "ipc";
  readonly execArgv: readonly string[];
  readonly maxFrameBytes: number;
  readonly env: WorkerEnv;
  readonly stdout: "stderr" | "inherit" | "ignore";
  readonly workerData: unknown;
  readonly closeGraceMs: number;
}

/** Defaults of every pool option (`maxWorkers` is sized to the machine). */
export const poolDefaults: PoolSettings = Object.freeze({
  minWorkers: 0,
  maxWorkers: availableParallelism(),
  idleTimeoutMs: 10_000,
  keepWarmMs: 0,
  maxItemsPerWorker: 0,
  maxMemoryMb: 0,
  resourceLimits: undefined,
  cancelGraceMs: 250,
  concurrencyPerWorker: 1,
  loadAttempts: 5,
  heartbeatMs: 1000,
  unresponsiveMs: 0,
  targetBatchMs: 1,
  maxBatchSize: 1024,
  batchesPerWorker: 2,
  transferItems: true,
  wire: "msgpack",
  execArgv: Object.freeze([]) as readonly string[],
  maxFrameBytes: 256 * 1024 * 1024,
  env: "inherit",
  stdout: "stderr",
  workerData: undefined,
  closeGraceMs: 5_000,
});

/** The largest length a frame header (a 32-bit unsigned integer) can declare. */
const FRAME_BYTES_MAX = 0xffff_ffff;

const KEYS = Object.keys(poolDefaults);
const LIMIT_KEYS = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"];

/** Validates pool options into filled settings; errors name the option and what was received. */
export function poolSettings(value: unknown, where?: string): PoolSettings {
  if (value === undefined) return poolDefaults;
  const o = plainObject(value, "pool", where);
  knownKeys(o, KEYS, "pool", where);
  const minWorkers = optional(o.minWorkers, poolDefaults.minWorkers, (v) =>
    nonNegativeInt(v, "pool.minWorkers", where),
  );
  const maxWorkers = optional(o.maxWorkers, Math.max(poolDefaults.maxWorkers, minWorkers), (v) =>
    positiveInt(v, "pool.maxWorkers", where),
  );
  const heartbeatMs = optional(o.heartbeatMs, poolDefaults.heartbeatMs, (v) =>
    nonNegativeInt(v, "pool.heartbeatMs", where),
  );
  const unresponsiveMs = optional(o.unresponsiveMs, poolDefaults.unresponsiveMs, (v) =>
    nonNegativeInt(v, "pool.unresponsiveMs", where),
  );
  if (unresponsiveMs > 0 && (heartbeatMs === 0 || unresponsiveMs < heartbeatMs)) {
    throw new InvalidOptionError(
      "pool.unresponsiveMs",
      `0, or at least heartbeatMs (${heartbeatMs}) with heartbeatMs above 0`,
      unresponsiveMs,
      where,
    );
  }
  if (minWorkers > maxWorkers) {
    throw new InvalidOptionError("pool.minWorkers", `at most maxWorkers (${maxWorkers})`, minWorkers, where);
  }
  let resourceLimits: ResourceLimits | undefined;
  if (o.resourceLimits !== undefined) {
    const r = plainObject(o.resourceLimits, "pool.resourceLimits", where);
    knownKeys(r, LIMIT_KEYS, "pool.resourceLimits", where);
    for (const k of LIMIT_KEYS) if (r[k] !== undefined) positiveNumber(r[k], `pool.resourceLimits.${k}`, where);
    resourceLimits = r as ResourceLimits;
  }
  let execArgv = poolDefaults.execArgv;
  if (o.execArgv !== undefined) {
    if (!Array.isArray(o.execArgv) || o.execArgv.some((a) => typeof a !== "string")) {
      throw new InvalidOptionError("pool.execArgv", "an array of strings", o.execArgv, where);
    }
    execArgv = Object.freeze([...(o.execArgv as string[])]);
  }
  return Object.freeze({
    minWorkers,
    maxWorkers,
    idleTimeoutMs: optional(o.idleTimeoutMs, poolDefaults.idleTimeoutMs, (v) =>
      positiveNumber(v, "pool.idleTimeoutMs", where),
    ),
    keepWarmMs: optional(o.keepWarmMs, poolDefaults.keepWarmMs, (v) => nonNegativeNumber(v, "pool.keepWarmMs", where)),
    maxItemsPerWorker: optional(o.maxItemsPerWorker, 0, (v) => nonNegativeInt(v, "pool.maxItemsPerWorker", where)),
    maxMemoryMb: optional(o.maxMemoryMb, 0, (v) => nonNegativeInt(v, "pool.maxMemoryMb", where)),
    resourceLimits,
    cancelGraceMs: optional(o.cancelGraceMs, poolDefaults.cancelGraceMs, (v) =>
      nonNegativeInt(v, "pool.cancelGraceMs", where),
    ),
    concurrencyPerWorker: optional(o.concurrencyPerWorker, poolDefaults.concurrencyPerWorker, (v) =>
      positiveInt(v, "pool.concurrencyPerWorker", where),
    ),
    loadAttempts: optional(o.loadAttempts, poolDefaults.loadAttempts, (v) =>
      positiveInt(v, "pool.loadAttempts", where),
    ),
    heartbeatMs,
    unresponsiveMs,
    targetBatchMs: optional(o.targetBatchMs, poolDefaults.targetBatchMs, (v) =>
      positiveNumber(v, "pool.targetBatchMs", where),
    ),
    maxBatchSize: optional(o.maxBatchSize, poolDefaults.maxBatchSize, (v) =>
      positiveInt(v, "pool.maxBatchSize", where),
    ),
    batchesPerWorker: optional(o.batchesPerWorker, poolDefaults.batchesPerWorker, (v) =>
      positiveInt(v, "pool.batchesPerWorker", where),
    ),
    transferItems: optional(o.transferItems, true, (v) => boolean(v, "pool.transferItems", where)),
    wire: optional(o.wire, poolDefaults.wire, (v) => oneOf(v, ["msgpack", "ipc"] as const, "pool.wire", where)),
    execArgv,
    maxFrameBytes: optional(o.maxFrameBytes, poolDefaults.maxFrameBytes, (v) => frameBytes(v, where)),
    env: optional(o.env, poolDefaults.env, (v) => workerEnvSetting(v, where)),
    stdout: optional(o.stdout, poolDefaults.stdout, (v) =>
      oneOf(v, ["stderr", "inherit", "ignore"] as const, "pool.stdout", where),
    ),
    workerData: o.workerData === undefined ? undefined : workerDataCopy(o.workerData, where),
    closeGraceMs: optional(o.closeGraceMs, poolDefaults.closeGraceMs, (v) =>
      nonNegativeInt(v, "pool.closeGraceMs", where),
    ),
  });
}

function frameBytes(value: unknown, where: string | undefined): number {
  const n = positiveInt(value, "pool.maxFrameBytes", where);
  if (n > FRAME_BYTES_MAX) {
    throw new InvalidOptionError("pool.maxFrameBytes", `at most ${FRAME_BYTES_MAX} (a 32-bit length)`, n, where);
  }
  return n;
}

/** A stable key of settings, so equal options share a pool whatever their key order. */
export function settingsKey(s: PoolSettings): string {
  const limits =
    s.resourceLimits === undefined
      ? ""
      : LIMIT_KEYS.map((k) => String((s.resourceLimits as Record<string, unknown>)[k] ?? "")).join(",");
  return [
    s.minWorkers,
    s.maxWorkers,
    s.idleTimeoutMs,
    s.keepWarmMs,
    s.maxItemsPerWorker,
    s.maxMemoryMb,
    limits,
    s.cancelGraceMs,
    s.concurrencyPerWorker,
    s.loadAttempts,
    s.heartbeatMs,
    s.unresponsiveMs,
    s.targetBatchMs,
    s.maxBatchSize,
    s.batchesPerWorker,
    s.transferItems,
    s.wire,
    s.execArgv.join(" "),
    s.maxFrameBytes,
    workerEnvKey(s.env),
    s.stdout,
    s.closeGraceMs,
    workerDataKey(s.workerData),
  ].join("|");
}
