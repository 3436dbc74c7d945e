import type { OverflowPolicy } from "../channel/Channel.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import type { StageKind } from "../stage/StageKind.js";
import type { FusedLoop } from "./fusedLoop.js";

/** How one stage is placed in the plan, and why. */
export interface PlannedStage {
  /** The stage's name (unique in the pipeline). */
  readonly name: string;
  /** What it does: source, map, filter, flatMap, tap, batch, sink, merge or route. */
  readonly kind: StageKind;
  /** Where its function runs. */
  readonly context: ExecutionContext;
  /** The step it runs in. */
  readonly step: number;
  /** True when it runs in another stage's step, with no channel or per-item promise before it. */
  readonly fused: boolean;
  /** Why it was fused or given a step of its own. */
  readonly reason: string;
  /**
   * The fragment instance it belongs to (its name starts with it and a `/`: `enrich`, or
   * `outer/inner` for a fragment applied inside another); null for a stage written in line.
   */
  readonly group: string | null;
}

/**
 * How a stage head that runs in a worker-thread or child-process pool uses it. The items the stage
 * pulls ahead of its workers are at most its channel's `input.capacity` plus `window`.
 */
export interface PlannedPool {
  /** `worker` (threads) or `process` (child processes). */
  readonly context: "worker" | "process";
  /** Workers the stage uses: `min(concurrency, maxWorkers)`. */
  readonly workers: number;
  /** Items each worker runs inside the function at once (the pool's `concurrencyPerWorker`). */
  readonly perWorker: number;
  /** Items inside the stage's function at once, at most: `workers × perWorker`. */
  readonly running: number;
  /**
   * Items the stage keeps in flight at most, sent to its workers or waiting to be:
   * `workers × batchesPerWorker × maxBatchSize`. The adaptive batch size keeps it to about
   * `batchesPerWorker × targetBatchMs` of work per worker (a few items when items are slow).
   */
  readonly window: number;
  /**
   * `"batch"`: the pool's results reach the stage a batch at a time and are resolved into it in
   * one call per batch (one clock read, one refill of the window); a failed item still settles
   * on its own, by its index in the batch.
   */
  readonly settle: "batch";
  /**
   * `"group"`: the stage runner takes the items of one pump from its input in groups of the
   * pool's batch size and hands each group to the pool whole (the groups queued when a worker is
   * free go in one batch, up to the batch size): no slot, queue place or settle per item, but
   * for handing each result on (a chain with a filter, flatMap or mapBatch hands on each item's
   * outputs); an item that fails (or runs past `timeoutMs`, timed in its worker) leaves its group
   * for the per-item path (its retry, its error policy); a group that a worker near its
   * `maxItemsPerWorker` cannot take whole splits into its items. On an injected clock
   * (`run({ clock })`), where the runner reads the clock for each item, and in a durable run
   * whose chain holds a flatMap (its outputs get keys of their own), the stage runs as
   * `"batch"`. `"batch"`: the stage runner hands the pool the first attempts it takes from its
   * input in one pump a run at a time, in one call, each attempt in a slot of its own (a retry is
   * sent on its own). `"one"`: each item is handed to the pool on its own, after its admission
   * (the stage has flow control: a breaker, a rate limit, a bulkhead or adaptive concurrency; see
   * {@link PlannedPool.perItem}).
   */
  readonly submit: "group" | "batch" | "one";
  /**
   * The stage's options that still cost a step per item on those paths (settle and submit), each
   * with why (empty when none): per-item work stays only where an item needs it.
   */
  readonly perItem: readonly string[];
}

/**
 * One step: a head that produces items, the stages fused after it, and where output goes.
 *
 * What a step can hold bounds what the source is pulled ahead: the source is read only into room
 * in the channels below, so the items inside a linear pipeline are at most the sum, over its
 * steps, of `input.capacity` (the channel), `concurrency` (a stage head's window: items running,
 * or completed and waiting for room in the channel below; for a pool stage, `pool.window`) and,
 * for an ordered stage head, the completed items it keeps behind a slow item: up to
 * `reorderWindow`. An unordered stage with a keyed rate limit also keeps the items held for their
 * key alone: up to the larger of its window and its capacity (an ordered stage's reorder window
 * already bounds them).
 */
export interface PlanStep {
  /** Its index in {@link ExecutionPlan.steps}. */
  readonly id: number;
  /** The stage that heads the step. */
  readonly head: string;
  /**
   * `source` pulls the source; `stage` runs a concurrent stage; `batch` groups; `channel` reads a channel (merge
   * points, fused runs after a fan-out).
   */
  readonly headKind: "source" | "stage" | "batch" | "channel";
  /** Where the head runs. */
  readonly context: ExecutionContext;
  /** Items in flight at most (stage heads); for a pool stage, the workers it may use (see `pool`). */
  readonly concurrency: number;
  /** How a stage head in a worker-thread or child-process pool uses it; null for other steps. */
  readonly pool: PlannedPool | null;
  /** True when a stage head emits in the order it took items from its queue (always true for other heads). */
  readonly ordered: boolean;
  /**
   * Completed items an ordered stage head may hold behind a slow one (its reorder window: the
   * larger of its window and its capacity); 0 for unordered stages and other heads. A bound: a
   * last stage (not a flatMap) whose output the run leaves unread (no `stream()`) holds none.
   */
  readonly reorderWindow: number;
  /** Synchronous stages fused after the head, in order. */
  readonly fused: readonly string[];
  /**
   * How the step's synchronous inline stages run, when it has any (fused after the head, or an inline
   * head reading a channel): `"generated"`, one loop generated for them (`new Function`), or
   * `"interpreted"`, a plain loop over them where the host forbids code generation from strings
   * (`node --disallow-code-generation-from-strings`); null when the step runs none.
   */
  readonly fusedLoop: FusedLoop | null;
  /** The bounded channel in front of the step (null for the source step). */
  readonly input: {
    /** Items it holds at most. */
    readonly capacity: number;
    /**
     * Items it holds while it is not grown: below `capacity` only in front of a pool stage with
     * the default capacity (and `overflow: "block"`), whose channel holds this many (128 per
     * worker) while the stage's batches hold fewer items, and a batch of the largest size per
     * worker while they hold more (tiny items): `capacity` (`workers × maxBatchSize`), or for a
     * child process fewer when its frames' byte budget (about 4 MiB) holds fewer items, so that
     * one pump finds a whole batch for each worker. Equal to `capacity` for every other channel.
     */
    readonly baseCapacity: number;
    /** What it does when full. */
    readonly overflow: OverflowPolicy;
    /**
     * Its queue discipline, as it runs: `"aging-priority"` for a stage with `priority` (its queue
     * always ages, by `agingPerSecond`, default 1, so low priority never starves), `"fair"` with
     * `fairBy`, else `"fifo"`. (`"priority"`, a queue that never ages, is not built today.)
     */
    readonly queue: "fifo" | "priority" | "aging-priority" | "fair";
    /** Steps that feed it. */
    readonly from: readonly number[];
  } | null;
  /** Steps fed by this one; `route` names the route that picks among them per item. */
  readonly output: {
    /** The steps fed. */
    readonly to: readonly number[];
    /** The route that picks one of them per item, or null when each gets every item. */
    readonly route: string | null;
  };
}

/**
 * A compiled pipeline: plain, JSON-serialisable data. `weir plan <file>` prints it.
 */
export interface ExecutionPlan {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The steps, in an order where every step comes after the steps feeding it. */
  readonly steps: readonly PlanStep[];
  /** Every stage (source, merges and routes included), with where it runs and why. */
  readonly stages: readonly PlannedStage[];
}
