import type { ItemKeys } from "./ItemKeys.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import type { PoolReading } from "../stats/MetricsSink.js";
import type { StageFleetStats } from "../stats/StageStats.js";

/** One attempt of one item, handed to an {@link Executor}. */
export interface Attempt<I = unknown> {
  readonly item: I;
  /** Source index of the item. */
  readonly index: number;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Aborts on timeout or cancellation; an executor must stop the work when it can. */
  readonly signal: AbortSignal;
  /**
   * Where the stage function's `ctx.retryAfter(ms)` lands; the runner reads the value when the
   * attempt settles (either way). Main-loop executors pass it to the function as `ctx.retryAfter`;
   * pools give the function a `ctx.retryAfter` of their own in the worker and call this with the
   * last value it got there, before settling the attempt. Must be called before `settle`.
   */
  readonly retryAfter?: (ms: number) => void;
}

/**
 * Where a colocated chain failed when the failing function was not the chain's first stage: that
 * stage's name, and the value it was given (absent when that value could not cross back from the
 * worker). The stage runner reports the failure under this stage, with this item.
 */
export interface FailedStep {
  readonly stage: string;
  readonly item?: unknown;
}

/**
 * How an attempt reports its end: exactly one of the two is called, exactly once. A rejection's
 * error then goes through the stage's retry and onError policies. The functions are bound once
 * per runner slot (no per-item closures), so pass them straight to `promise.then`.
 */
export interface Settle {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown, step?: FailedStep) => void;
  /**
   * Where many attempts of this runner may be resolved in one call ({@link BatchSettle}); absent
   * when the runner takes them one at a time. An executor that gets results in batches (a pool)
   * resolves a batch's successes through it when every one of them has the same owner; failures
   * still go through `reject`, one by one, before.
   */
  readonly owner?: BatchSettle;
}

/**
 * A stage runner's batch entry point: resolves `settles[k]` with `values[k]` for every k in
 * `[0, n)` in one call (one clock read, one refill of the window), as if each `resolve` had been
 * called in that order. Each settle must be one this runner handed out, not settled yet.
 */
export interface BatchSettle {
  resolveBatch(settles: readonly Settle[], values: readonly unknown[], n: number): void;
}

/**
 * A run of first attempts handed to an executor as one (the group path,
 * {@link Executor.executeGroups}): items `items[0..size)`, their source indices `index`,
 * `index + 1`, … unless `indices` lists them, all on attempt 1 under `signal`. Its owner is told
 * once how the group ended: each item's value and which items failed, or that none ran.
 */
export interface Group {
  /** The items, exactly {@link Group.size} of them (a message may carry this array as it is). */
  readonly items: unknown[];
  readonly size: number;
  /** Source index of the first item. */
  readonly index: number;
  /** Each item's source index, when they are not `index, index + 1, …`; undefined when they are. */
  readonly indices: readonly number[] | undefined;
  readonly signal: AbortSignal;
  readonly owner: GroupOwner;
}

/** One item of a {@link Group} that failed: its place in the group, its error, where in a chain. */
export interface GroupFailure {
  readonly at: number;
  readonly error: unknown;
  readonly step: FailedStep | undefined;
}

/** Where a {@link Group} ends (the stage runner that made it): exactly one call per group. */
export interface GroupOwner {
  /**
   * The group ran: `values[offset + k]` is item k's result (a batch may carry several groups),
   * except for the items `failures` names (by their place in the group, in increasing `at`;
   * undefined when none failed), whose values are not read.
   */
  resolveGroup(
    group: Group,
    values: readonly unknown[],
    offset: number,
    failures: readonly GroupFailure[] | undefined,
  ): void;
  /** No item of the group ran to its end (the executor closed, the run aborted, the module cannot load): each fails with `error`. */
  rejectGroup(group: Group, error: unknown): void;
}

/**
 * Runs a stage's function somewhere: on the main loop (`async`), in a worker-thread pool
 * (`worker`) or a child-process pool (`process`). The stage runner owns ordering, retries,
 * timeouts and error policy; an executor only runs attempts and reports how each ended.
 *
 * Implementations: `AsyncExecutor` (here), the worker and process executors (`executor/pool`).
 * All pass the shared conformance suite in `test/conformance`.
 */
export interface Executor {
  /** Where the work runs. */
  readonly context: ExecutionContext;
  /**
   * How many items the runner should keep in flight for a stage `concurrency`: equal to it on
   * the main loop; larger for pools, whose workers take items in batches.
   */
  window(concurrency: number): number;
  /**
   * The most {@link Executor.window} can grow to (a pool's window grows as its batch size adapts);
   * the runner sizes its reorder ring with it. @default window(concurrency)
   */
  maxWindow?(concurrency: number): number;
  /**
   * The capacity the stage's input channel should have now at a stage `concurrency`, given its
   * `base`, where the plan lets the channel grow (a pool stage's default channel): a pool's is a
   * batch of the largest size per worker (`maxBatchSize` items, or for a child process as many
   * as its frames' byte budget holds) once a batch for each worker at the current size holds more
   * than `base` items, so that one pump finds whole batches; `base` otherwise. Absent: the channel
   * keeps its capacity.
   */
  inputCapacity?(concurrency: number, base: number): number;
  /**
   * True when each attempt resolves with an array of 0..n outputs (a colocated chain with a filter
   * or flatMap) instead of one value.
   */
  readonly emitsMany?: boolean;
  /** Starts one attempt; must end it through `settle` exactly once, even if the work cannot start. */
  execute(attempt: Attempt, settle: Settle): void;
  /**
   * Starts `runs[k]` for every k in `[0, n)`, in that order, as `execute(runs[k], runs[k])` would
   * (each run is its own attempt and settle, as a stage runner's slots are): the batch-submit path,
   * one call for a run of first attempts. Absent: the runner calls {@link Executor.execute} per item.
   */
  executeBatch?(runs: readonly (Attempt & Settle)[], n: number): void;
  /**
   * How many items the runner may hand over as one {@link Group} now (the executor's batch size);
   * 0 when it takes none (it is not ready, or its options need each item on its own: a timeout, a
   * cap on items per worker). Absent: the executor takes no groups.
   */
  groupSize?(): number;
  /**
   * Starts `groups[k]` for every k in `[0, n)`, in that order: each group's items run as first
   * attempts, and the group ends through its owner exactly once. Only called after
   * {@link Executor.groupSize} said groups are taken.
   */
  executeGroups?(groups: readonly Group[], n: number): void;
  /**
   * True when the executor enforces the stage's `timeoutMs` itself (it was given it when made)
   * and rejects a timed-out attempt with a `TimeoutError`: the runner then arms no timer and
   * does not abort `attempt.signal` on timeout. Pools do, because an item waiting in a batch
   * behind another has not started yet. @default false
   */
  readonly ownsTimeouts?: boolean;
  /** Event-loop delay of the context the work runs in, in ms (mean over the last interval). */
  loopDelayMs?(): number;
  /**
   * Gives every attempt's `ctx.key` from now on, made from the item's source index by `keys`
   * (a durable run calls it once, before its first item). Executors without it give no key.
   */
  useKeys?(keys: ItemKeys): void;

  /** A fleet stage's workers, lag and redeliveries (read at every snapshot: must be cheap). */
  fleetStats?(): StageFleetStats;
  /** Its worker pool's state, for executors that run in one (read at a metrics scrape). */
  poolStats?(): PoolReading;
  /** Releases the executor's resources (a pool it owns, timers). Safe to call twice. */
  close(): Promise<void>;
}
