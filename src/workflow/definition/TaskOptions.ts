import type { Executor } from "../../executor/Executor.js";
import type { Admission } from "../../policy/Admission.js";
import type { RetryOptions } from "../../policy/retry.js";
import type { ExecutionContext } from "../../stage/StageContext.js";

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
   * The task keeps its concurrency slot while it waits. A retry never overlaps the attempt before
   * it: after a timeout it starts once the backoff has passed and the timed-out attempt settled.
   * @default no retry (1 attempt)
   * @example `{ retry: { attempts: 5, baseMs: 200, retryIf: isTransient } }`
   */
  readonly retry?: RetryOptions | number;
  /**
   * Limit per attempt, in ms, counted from when the attempt starts (after admission, see
   * `bulkhead`): the attempt fails with a `TimeoutError` at once and its `ctx.signal` aborts, so
   * the task fails (or its retry is scheduled) and its dependents learn of it without waiting.
   * But the attempt's code may still be running, so until its promise settles it keeps what it
   * holds: the run's concurrency slot and its admissions (a bulkhead's units), and its retry
   * waits for it. A task that ignores its signal therefore cannot push the run past its
   * `concurrency` or a bulkhead past its limit; one that never settles holds its slot until the
   * run ends (when everything is released).
   * @default no limit
   * @example `{ timeoutMs: 5_000 }`
   */
  readonly timeoutMs?: number;
  /**
   * A bulkhead (`bulkhead(...)`): a concurrency budget shared with pipeline stages and other
   * workflows. Each attempt waits for a unit (holding its run slot while it waits, so at most
   * `concurrency` tasks of a run wait) and gives it back when the attempt's code settles, with
   * its outcome: success or the error; an attempt cut short by the run's end is released as
   * cancelled (no outcome recorded). The item the policy sees is the task's context (`ctx`), so
   * a weight function can look at `ctx.task`. Policies that keep time (a breaker, a limiter)
   * are bound to the run's clock, as in a pipeline stage.
   * @default none
   * @example `{ bulkhead: db }` (with `const db = bulkhead({ name: "db", limit: 8 })`, also given to stages)
   */
  readonly bulkhead?: Admission;
  /**
   * Any other admission policies (a shared `rateLimiter()`, a `circuitBreaker()`, …), applied
   * after `bulkhead`, per attempt, with the same waiting and release rules.
   * @default none
   * @example `{ admission: [apiBreaker, apiQuota] }`
   */
  readonly admission?: Admission | readonly Admission[];
  /**
   * Where the task runs. `"async"`: on the main loop, queued by priority under the run's
   * `concurrency`. `"inline"`: cheap glue, run as soon as it is ready, bypassing the queue and the
   * concurrency cap (no slot, no hop). `"worker"` / `"process"`: set by a `worker()` / `child()`
   * task function, or given with an `executor` of your own.
   * @default "async"
   * @example `{ context: "inline" }`
   */
  readonly context?: ExecutionContext;
  /**
   * Runs the task's attempts on an {@link Executor} of your own (for weir's worker-thread and
   * child-process pools, give `worker(url, "export")` or `child(...)` as the task function
   * instead: they bring their executor). Called once per task per run; each attempt is
   * `execute`d with `item` set to the dependencies' results; the executor is closed when the run
   * ends.
   * @default none: the task function runs on the main loop
   * @example `{ context: "process", executor: (task) => new SandboxExecutor(task.task) }` (a class implementing `Executor`)
   */
  readonly executor?: (task: TaskInfo) => Executor;
  /**
   * What a failure does to the rest of the run (see {@link FailurePolicy}).
   * @default "skip-dependents"
   * @example `{ onFailure: "fail-workflow" }`
   */
  readonly onFailure?: F;
}
