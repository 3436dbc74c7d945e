import type { Executor } from "../executor/Executor.js";
import type { RetryOptions } from "../policy/retry.js";
import type { ExecutionContext } from "../stage/StageContext.js";

/**
 * What happens when a task's last attempt fails:
 * - `"skip-dependents"`: its descendants become `skipped` (with `skippedBecause`); independent
 *   branches go on.
 * - `"fail-workflow"`: the run stops: running tasks are cancelled (their `ctx.signal` aborts), the
 *   rest are marked `cancelled`, and the result's `error` is a `TaskError`.
 * - `"continue"`: dependents run anyway; the failed task's result is `undefined` for them and its
 *   error is in `ctx.errors`.
 */
export type FailurePolicy = "skip-dependents" | "fail-workflow" | "continue";

/** What an executor factory learns about the task it serves. */
export interface TaskInfo {
  readonly workflow: string;
  readonly task: string;
  readonly context: ExecutionContext;
}

/**
 * Options of one workflow task.
 *
 * @example
 * ```ts
 * .task("transform", { after: ["extract"], retry: { attempts: 3 }, timeoutMs: 30_000, priority: 10 },
 *       async ({ results, signal }) => clean(results.extract, signal))
 * ```
 */
export interface TaskOptions<D extends readonly string[] = readonly string[], F extends FailurePolicy = FailurePolicy> {
  /**
   * Tasks that must complete before this one starts; their results are in `ctx.results`.
   * @default [] (starts at once)
   * @example `{ after: ["extract", "schema"] }`
   */
  readonly after?: D;
  /**
   * Among ready tasks, higher priority starts first; ties go to the task with the longest
   * remaining path to a sink (the critical path), then to definition order.
   * @default 0
   * @example `{ priority: 10 }`
   */
  readonly priority?: number;
  /**
   * Retry with exponential backoff and jitter on the run's clock; a number means `{ attempts }`.
   * The task keeps its concurrency slot while it waits.
   * @default no retry (1 attempt)
   * @example `{ retry: { attempts: 5, baseMs: 200, retryIf: isTransient } }`
   */
  readonly retry?: RetryOptions | number;
  /**
   * Limit per attempt, in ms: the attempt fails with a `TimeoutError` and its `ctx.signal` aborts.
   * @default no limit
   * @example `{ timeoutMs: 5_000 }`
   */
  readonly timeoutMs?: number;
  /**
   * Where the task runs. `"async"`: on the main loop, queued by priority under the run's
   * `concurrency`. `"inline"`: cheap glue, run as soon as it is ready, bypassing the queue and the
   * concurrency cap (no slot, no hop). `"worker"` / `"process"` need an `executor`.
   * @default "async"
   * @example `{ context: "inline" }`
   */
  readonly context?: ExecutionContext;
  /**
   * Runs the task's attempts elsewhere (a worker-thread or child-process pool): called once per
   * task per run; each attempt is `execute`d with `item` set to the dependencies' results (so it
   * must be cloneable). The executor is closed when the run ends.
   * @default none: the task function runs on the main loop
   * @example `{ context: "worker", executor: (task) => workerExecutor(new URL("./load.js", import.meta.url)) }`
   */
  readonly executor?: (task: TaskInfo) => Executor;
  /**
   * What a failure does to the rest of the run (see {@link FailurePolicy}).
   * @default "skip-dependents"
   * @example `{ onFailure: "fail-workflow" }`
   */
  readonly onFailure?: F;
}
