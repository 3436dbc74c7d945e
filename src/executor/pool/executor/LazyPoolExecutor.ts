import type { ItemKeys } from "../../ItemKeys.js";
import { CancelledError } from "../../../errors/CancelledError.js";
import type { PoolReading } from "../../../stats/MetricsSink.js";
import type { Attempt, Executor, Group, Settle } from "../../Executor.js";
import type { PoolSettings } from "../stage/PoolOptions.js";
import { chainEmitsMany, type ChainStep } from "../wire/WireMessage.js";
import type * as PoolExecutorModule from "./PoolExecutor.js";
import type { PoolExecutor } from "./PoolExecutor.js";
import { maxPoolWindow, minBatchSize, workersFor } from "./poolWindow.js";

/** The pool code (executor, registry, workers, wire codec), loaded once on the first pool stage's run. */
let loading: Promise<typeof PoolExecutorModule> | undefined;

/**
 * The {@link Executor} a `worker()` / `child()` stage gets in a run: a {@link PoolExecutor} once
 * the pool code has loaded. The pool code (threads, child processes, the wire codec) loads on the
 * first run of a pool stage, not when weir is imported; until then attempts wait here, in order,
 * and are handed over when it is ready (a few milliseconds, once per process). After that every
 * call goes straight to the pool executor.
 */
export class LazyPoolExecutor implements Executor {
  readonly context: "worker" | "process";
  readonly emitsMany: boolean;
  readonly ownsTimeouts: boolean;
  readonly #settings: PoolSettings;
  readonly #stage: string;
  #target: PoolExecutor | undefined;
  #failed: unknown;
  #waiting: { attempt: Attempt; settle: Settle }[] = [];
  #keys: ItemKeys | undefined;
  #concurrency: number | undefined;
  #closing: Promise<void> | undefined;
  readonly #ready: Promise<void>;

  constructor(
    context: "worker" | "process",
    moduleUrl: string,
    stage: string,
    chain: readonly ChainStep[],
    settings: PoolSettings,
    timeoutMs: number | undefined,
  ) {
    this.context = context;
    this.emitsMany = chainEmitsMany(chain);
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#settings = settings;
    this.#stage = stage;
    loading ??= import("./PoolExecutor.js");
    this.#ready = loading
      .then(({ PoolExecutor }) => {
        if (this.#closing !== undefined) return;
        const target = new PoolExecutor(context, moduleUrl, stage, chain, settings, undefined, timeoutMs);
        if (this.#keys !== undefined) target.useKeys(this.#keys);
        if (this.#concurrency !== undefined) target.window(this.#concurrency);
        this.#target = target;
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const { attempt, settle } of waiting) target.execute(attempt, settle);
      })
      .catch((error: unknown) => {
        // the pool code failed to load, or the pool to start: every attempt fails with the cause
        this.#failed = error;
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const { settle } of waiting) settle.reject(error);
      });
  }

  useKeys(keys: ItemKeys): void {
    this.#keys = keys;
    this.#target?.useKeys(keys);
  }

  /** The pool executor's window; before it exists, batches of the smallest size. */
  window(concurrency: number): number {
    if (this.#target !== undefined) return this.#target.window(concurrency);
    this.#concurrency = concurrency;
    const s = this.#settings;
    return workersFor(s, concurrency) * s.batchesPerWorker * minBatchSize(s);
  }

  /** The pool executor's; `base` before it exists (its batches are not measured yet). */
  inputCapacity(concurrency: number, base: number): number {
    return this.#target?.inputCapacity(concurrency, base) ?? base;
  }

  maxWindow(concurrency: number): number {
    return maxPoolWindow(this.#settings, concurrency);
  }

  execute(attempt: Attempt, settle: Settle): void {
    if (this.#target !== undefined) this.#target.execute(attempt, settle);
    else if (this.#closing !== undefined)
      settle.reject(new CancelledError(`stage "${this.#stage}"`, new Error("its executor was closed")));
    else if (this.#failed !== undefined) settle.reject(this.#failed);
    else this.#waiting.push({ attempt, settle });
  }

  /** The pool executor's batch submit once it exists; before, each run waits as {@link execute} has it. */
  executeBatch(runs: readonly (Attempt & Settle)[], n: number): void {
    const target = this.#target;
    if (target !== undefined) target.executeBatch(runs, n);
    else for (let k = 0; k < n; k++) this.execute(runs[k]!, runs[k]!);
  }

  /** The pool executor's group size once it exists; before, none (items wait one by one). */
  groupSize(): number {
    return this.#target?.groupSize() ?? 0;
  }

  /** The pool executor's groups (it exists: {@link groupSize} said groups are taken). */
  executeGroups(groups: readonly Group[], n: number): void {
    this.#target!.executeGroups(groups, n);
  }

  loopDelayMs(): number {
    return this.#target?.loopDelayMs() ?? 0;
  }

  poolStats(): PoolReading {
    return (
      this.#target?.poolStats() ?? {
        context: this.context,
        workers: { starting: 0, idle: 0, busy: 0, stopping: 0 },
        restarts: 0,
        workerLoopDelayMs: [],
      }
    );
  }

  /** Closes the pool executor (or, before it exists, fails the waiting attempts with a `CancelledError`). */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const target = this.#target;
    if (target !== undefined) return (this.#closing = target.close());
    const error = new CancelledError(`stage "${this.#stage}"`, new Error("its executor was closed"));
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { settle } of waiting) settle.reject(error);
    this.#closing = this.#ready;
    return this.#closing;
  }
}
