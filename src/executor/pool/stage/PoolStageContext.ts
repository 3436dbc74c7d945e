import type { StageContext } from "../../../stage/StageContext.js";
import type { WorkerEnd } from "../wire/WireMessage.js";

/**
 * What a function of a `worker()` / `child()` stage receives as its second argument: the main
 * loop's {@link StageContext}, plus what its worker was given.
 *
 * @example
 * ```ts
 * // store.ts, run with child(new URL("./store.js", import.meta.url), "save", { workerData: { url } })
 * export async function setup({ workerData }: WorkerSetupInfo<{ url: string }>) { return connect(workerData.url); }
 * export async function save(row: Row, ctx: PoolStageContext<Db>) { await ctx.local.insert(row); }
 * ```
 */
export interface PoolStageContext<Local = unknown, Data = unknown> extends StageContext {
  /** What the module's `setup` returned in this worker (undefined without a setup). */
  readonly local: Local;
  /** The pool's `workerData` option, as this worker received it. */
  readonly workerData: Data;
}

/** What a module's `setup` export receives, once per worker before its first item. */
export interface WorkerSetupInfo<Data = unknown> {
  /** The pool's `workerData` option. */
  readonly workerData: Data;
  /** `worker` (a thread) or `process`. */
  readonly context: "worker" | "process";
}

/** What a module's `teardown` export receives when its worker ends gracefully. */
export interface WorkerTeardownInfo<Local = unknown, Data = unknown> extends WorkerSetupInfo<Data> {
  /** What `setup` returned in this worker. */
  readonly local: Local;
  /** Why the worker ends: idle shutdown, recycled (`maxItemsPerWorker`, `maxMemoryMb`), or its pool closed. */
  readonly reason: WorkerEnd;
}

/**
 * A module's `setup` export: runs once in each worker, before its first item (its time is
 * start-up, not work); what it returns (or resolves to) is every call's `ctx.local` there. If it
 * throws, the worker is replaced as for a module that fails to load (`loadAttempts`).
 */
export type WorkerSetup<Local = unknown, Data = unknown> = (info: WorkerSetupInfo<Data>) => Local | Promise<Local>;

/**
 * A module's `teardown` export: runs when its worker ends gracefully (idle shutdown, recycled,
 * its pool closed at the end of a run), within the pool's `closeGraceMs`; not when the worker
 * crashed or was killed.
 */
export type WorkerTeardown<Local = unknown, Data = unknown> = (
  info: WorkerTeardownInfo<Local, Data>,
) => void | Promise<void>;

/** A self-contained function given to `worker(fn)` / `child(fn)`. */
export type PoolFunction<I, O, Local = unknown, Data = unknown> = (item: I, ctx: PoolStageContext<Local, Data>) => O;
