import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { workersFor } from "../executor/pool/executor/poolWindow.js";
import type { GraphNode } from "../graph/GraphNode.js";
import type { PipelineGraph } from "../graph/PipelineGraph.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import { stageDefaults } from "../stage/StageOptions.js";
import { fusedLoop } from "./fusedLoop.js";
import { inlineBlockers } from "./inlineBlockers.js";
import type { RetryPolicy } from "../policy/retry.js";
import type { ExecutionPlan, PlannedPool, PlannedStage, PlanStep } from "./ExecutionPlan.js";

/** Internal result: the plain plan plus, per step, the node ids it runs (head first). */
export interface CompiledPlan {
  /** The plan, as plain frozen data. */
  readonly plan: ExecutionPlan;
  /** Per step, the node ids it runs, head first. */
  readonly stepNodes: readonly (readonly number[])[];
  /** Step of each node id. */
  readonly stepOf: readonly number[];
}

/** Whether a stage can be fused as a synchronous inline op, and the reason either way. */
export function inlineVerdict(node: GraphNode): { inline: boolean; reason: string } {
  const s = node.settings;
  if (node.kind === "batch") return { inline: false, reason: "batch: groups items and flushes on a timer" };
  if (node.kind === "merge") return { inline: false, reason: "merge point: reads several inputs from one channel" };
  if (node.kind === "route")
    return { inline: false, reason: `${routeLabel(node)}: picks a branch per item at the end of its step` };
  if (node.kind === "source") return { inline: false, reason: "source: pulled in chunks sized to the room below" };
  if (node.pool !== undefined) {
    const placement = node.pool.factory.placement ?? `runs in a ${node.pool.factory.context} pool`;
    return {
      inline: false,
      reason: node.wholeBatches === true ? `${placement}, given each batch whole` : placement,
    };
  }
  if (s === undefined || node.fn === undefined) return { inline: false, reason: "no function" };
  const blockers = inlineBlockers(node.fn, s);
  // the builder rejects this when the stage is defined; kept for graphs built by other means
  if (s.context === "inline" && blockers.length > 0) {
    throw new InvalidOptionError(
      "context",
      `a synchronous stage with none of: ${blockers.join(", ")}`,
      "inline",
      `stage "${node.name}"`,
    );
  }
  if (s.context === "async") blockers.push('context: "async"');
  if (blockers.length > 0) return { inline: false, reason: `own step: ${blockers.join(", ")}` };
  return { inline: true, reason: "synchronous, concurrency 1, no retry/timeout/priority" };
}

/** How the plan names a route: `route`, `route (round-robin)`, `route (least-loaded)`, `route (dispatch)`. */
function routeLabel(node: GraphNode): string {
  const strategy = node.route?.strategy ?? "key";
  return strategy === "key" ? "route" : `route (${strategy === "emit" ? "dispatch" : strategy})`;
}

/** The context a node runs in. */
function contextOf(node: GraphNode, inline: boolean): ExecutionContext {
  if (node.pool !== undefined) return node.pool.factory.context;
  if (inline || node.kind === "batch" || node.kind === "merge" || node.kind === "route" || node.kind === "source")
    return "inline";
  return "async";
}

/** Two retry policies that retry the same errors the same way. */
function sameRetry(a: RetryPolicy, b: RetryPolicy): boolean {
  if (a.attempts <= 1 && b.attempts <= 1) return true;
  return (
    a.attempts === b.attempts &&
    a.baseMs === b.baseMs &&
    a.maxMs === b.maxMs &&
    a.factor === b.factor &&
    a.jitter === b.jitter &&
    a.retryIf === b.retryIf
  );
}

/**
 * Whether pool stage `node` can join the chain headed by `head` without changing what happens to
 * an item. A colocated chain runs as one attempt under the head's stage runner: the head's
 * retry, timeout, error policy and ordering apply to a failure in any step of it. So the later
 * stage must ask for exactly those (its own `onError: "fail"` must not become the head's
 * `"dead-letter"`), and may set nothing that needs a queue of its own (priority, capacity,
 * flow control). Its concurrency is the chain's: 1 (the default) or the head's.
 */
function joinsChain(node: GraphNode, head: GraphNode): boolean {
  const s = node.settings;
  const h = head.settings;
  if (s === undefined || h === undefined) return false;
  return (
    (s.concurrency === 1 || s.concurrency === h.concurrency) &&
    s.adaptive === undefined &&
    s.priority === undefined &&
    s.capacity === undefined &&
    s.overflow === stageDefaults.overflow &&
    s.rateLimit === undefined &&
    s.breaker === undefined &&
    s.bulkhead === undefined &&
    s.admissions.length === 0 &&
    s.fairBy === undefined &&
    s.onError === h.onError &&
    s.timeoutMs === h.timeoutMs &&
    s.ordered === h.ordered &&
    sameRetry(s.retry, h.retry)
  );
}

/**
 * Compiles the graph into steps. A synchronous inline stage joins the step of its input when that
 * input feeds nothing else (no fan-out) and is not a route; the run of such stages becomes one
 * generated loop with no channel and no per-item promise. Every other stage heads a step with a
 * bounded channel in front.
 */
export function compilePlan(graph: PipelineGraph): CompiledPlan {
  const consumers = graph.consumers();
  const order = graph.topologicalOrder();
  const stepOf: number[] = new Array<number>(graph.nodes.length).fill(-1);
  const stepNodes: number[][] = [];
  const stages: PlannedStage[] = [];
  const verdicts = graph.nodes.map((n) => inlineVerdict(n));

  for (const id of order) {
    const node = graph.nodes[id]!;
    const verdict = verdicts[id]!;
    const only = node.inputs.length === 1 ? node.inputs[0]! : undefined;
    const input = only === undefined ? undefined : graph.nodes[only.from]!;
    let reason = verdict.reason;
    let fused = false;
    if (verdict.inline && input !== undefined && only!.key === undefined && input.kind !== "route") {
      if ((consumers.get(input.id) ?? []).length === 1) fused = true;
      else reason = `own step: "${input.name}" fans out to several stages`;
    } else if (verdict.inline && input?.kind === "route") {
      reason = `own step: branch "${only!.key ?? ""}" of route "${input.name}"`;
    }
    // a pool stage after a pool stage of the same module and pool: one batch crossing for both
    if (
      !fused &&
      node.pool !== undefined &&
      input?.pool !== undefined &&
      only!.key === undefined &&
      node.pool.factory.colocationKey === input.pool.factory.colocationKey &&
      (consumers.get(input.id) ?? []).length === 1 &&
      stepNodes[stepOf[input.id]!]!.every((i) => graph.nodes[i]!.pool !== undefined)
    ) {
      const head = graph.nodes[stepNodes[stepOf[input.id]!]![0]!]!;
      if (joinsChain(node, head)) {
        fused = true;
        reason = `colocated with "${input.name}" in its ${node.pool.factory.context} pool: items cross once for both`;
      } else {
        reason = `own step: same pool as "${input.name}", but a colocated stage runs under the retry, timeout and error policy of "${head.name}", and its options differ`;
      }
    }
    if (
      node.kind === "route" &&
      input !== undefined &&
      (consumers.get(input.id) ?? []).length === 1 &&
      node.inputs.length === 1
    ) {
      fused = true;
      reason = `${routeLabel(node)}: picks the branch at the end of its input's step`;
    }
    if (fused) {
      const step = stepOf[input!.id]!;
      stepOf[id] = step;
      stepNodes[step]!.push(id);
      if (!reason.startsWith("route") && !reason.startsWith("colocated"))
        reason = `fused after "${input!.name}": ${reason}`;
    } else {
      stepOf[id] = stepNodes.length;
      stepNodes.push([id]);
    }
    stages.push({
      name: node.name,
      kind: node.kind,
      context: contextOf(node, verdict.inline),
      step: stepOf[id]!,
      fused,
      reason,
      group: node.group ?? null,
    });
  }

  const steps: PlanStep[] = stepNodes.map((ids, stepId) => {
    const head = graph.nodes[ids[0]!]!;
    const exit = graph.nodes[ids[ids.length - 1]!]!;
    const headKind: PlanStep["headKind"] =
      head.kind === "source"
        ? "source"
        : head.kind === "batch"
          ? "batch"
          : verdicts[head.id]!.inline || head.kind === "merge" || head.kind === "route"
            ? "channel"
            : "stage";
    const concurrency = head.settings?.concurrency ?? 1;
    const pool = headKind === "stage" && head.pool !== undefined ? plannedPool(head, concurrency) : null;
    const to = [...new Set((consumers.get(exit.id) ?? []).map((c) => stepOf[c]!))];
    const ordered = headKind !== "stage" || head.settings!.ordered;
    return {
      id: stepId,
      head: head.name,
      headKind,
      context: contextOf(head, verdicts[head.id]!.inline),
      concurrency,
      pool,
      ordered,
      // as the stage runner sizes it: the larger of its window and its capacity
      reorderWindow:
        headKind === "stage" && ordered ? Math.max(head.pool?.maxWindow ?? concurrency, capacityOf(head)) : 0,
      fused: ids.slice(1).map((i) => graph.nodes[i]!.name),
      // as the run builds it: the inline head (one reading a channel) and the fused stages that are neither routes nor pool stages
      fusedLoop:
        (headKind === "channel" && head.kind !== "merge" && head.kind !== "route") ||
        ids.slice(1).some((i) => graph.nodes[i]!.kind !== "route" && graph.nodes[i]!.pool === undefined)
          ? fusedLoop()
          : null,
      input:
        head.kind === "source"
          ? null
          : {
              capacity: capacityOf(head),
              baseCapacity: baseCapacityOf(head),
              overflow: head.settings?.overflow ?? "block",
              queue: queueOf(head),
              from: head.inputs.map((e) => stepOf[e.from]!),
            },
      output: { to, route: exit.kind === "route" ? exit.name : null },
    };
  });

  const plan: ExecutionPlan = { pipeline: graph.name, steps, stages };
  return { plan: deepFreeze(plan), stepNodes, stepOf };
}

/**
 * The queue discipline of the channel in front of a node, as the run builds it (`stageQueue`): a
 * priority stage's queue always ages (`agingPerSecond` defaults to 1), so it is `"aging-priority"`.
 */
function queueOf(node: GraphNode): "fifo" | "priority" | "aging-priority" | "fair" {
  const s = node.settings;
  if (s?.fairBy !== undefined) return "fair";
  if (s?.priority !== undefined) return "aging-priority";
  return "fifo";
}

/**
 * Items the channel in front of a pool stage holds per worker the stage uses, by default, while
 * its batches are smaller (items that cost more than `targetBatchMs / 128`). The stage's own
 * window already holds `batchesPerWorker` batches per worker, so the channel only smooths the
 * source's pulls, and a stage of slow items (batches of one) pulls at most this many items per
 * worker ahead of them, which `stop()` must drain. It used to be the largest window (`workers ×
 * batchesPerWorker × maxBatchSize`: 4,096 items for two workers, 20 s of 10 ms items).
 *
 * When the batches are larger (tiny items) the channel grows to a batch of the largest size per
 * worker (see {@link elasticCapacity}): a pump that finds 128 items a worker hands them over in
 * batches that small, a message (a write on a child's pipe) for every 128 items where one batch
 * would carry them all.
 */
const POOL_CAPACITY_PER_WORKER = 128;

/** The channel in front of a fleet stage, at most (its own window bounds what is in flight). */
const FLEET_CAPACITY = 1024;

/** How a pool stage head uses its pool (its workers and window, from its pool options). */
function plannedPool(node: GraphNode, concurrency: number): PlannedPool | null {
  const pool = node.pool!;
  const s = pool.factory.settings;
  if (s === undefined || pool.factory.context === "fleet") return null; // a fleet's workers are elsewhere
  const workers = workersFor(s, concurrency);
  return {
    context: pool.factory.context,
    workers,
    perWorker: s.concurrencyPerWorker,
    running: workers * s.concurrencyPerWorker,
    window: pool.maxWindow,
    settle: "batch",
    // (StageStep's group path, but for flow control: a timeout is kept in the worker, item by
    // item; a cap on items per worker splits a group that does not fit)
    submit: admitsOneByOne(node) ? "one" : "group",
    perItem: perItemOptions(node),
  };
}

/** True when the stage's flow control admits each item on its own (the stage runner's gate). */
function admitsOneByOne(node: GraphNode): boolean {
  const s = node.settings;
  return (
    s !== undefined &&
    (s.breaker !== undefined ||
      s.rateLimit !== undefined ||
      s.bulkhead !== undefined ||
      s.admissions.length > 0 ||
      s.adaptive !== undefined)
  );
}

/** A pool stage's options that cost a step per item on the batch settle and submit paths, and why. */
function perItemOptions(node: GraphNode): string[] {
  const s = node.settings;
  if (s === undefined) return [];
  const out: string[] = [];
  if (s.timeoutMs !== undefined)
    out.push(
      "timeoutMs: each item is timed from its start in its worker, and one that runs past it leaves its group to fail on its own (on an injected clock the runner arms a timer per item and hands items over one by one)",
    );
  if (s.retry.attempts > 1) out.push("retry: a failed item settles and is retried on its own");
  if (admitsOneByOne(node))
    out.push(
      "flow control (breaker, rateLimit, bulkhead, adaptive): each item is admitted, handed to the pool and released on its own",
    );
  if (s.priority !== undefined || s.fairBy !== undefined)
    out.push("priority / fairBy: each item's key is computed as it enters the stage's queue");
  return out;
}

/** The capacity of the channel in front of a node: the most it holds. */
export function capacityOf(node: GraphNode): number {
  return elasticCapacity(node)?.max ?? baseCapacityOf(node);
}

/**
 * The range of the channel in front of a pool stage with the default capacity that blocks when
 * full: {@link baseCapacityOf} while a batch for each worker holds no more items than that, a
 * batch of the largest size per worker once it holds more, up to `workers × maxBatchSize` (a
 * child's batches are bounded by bytes too: see the executor's `inputCapacity`). The stage runner
 * resizes it as the batch size is learnt, so a pump finds a whole batch for each worker. It grows
 * only for batches of more than 128 items, whose items take under `targetBatchMs / 128` each
 * (the batch size keeps a batch to about `targetBatchMs` of work): grown, it holds at most
 * `maxBatchSize / 128 × targetBatchMs` of work per worker (8 ms by default). Undefined for every
 * other channel (its capacity is fixed).
 */
export function elasticCapacity(node: GraphNode): { readonly base: number; readonly max: number } | undefined {
  const s = node.settings;
  const pool = node.pool?.factory.settings;
  if (node.batch !== undefined || pool === undefined || node.wholeBatches === true) return undefined;
  if (s?.capacity !== undefined || (s?.overflow ?? "block") !== "block") return undefined;
  const base = baseCapacityOf(node);
  const max = workersFor(pool, s?.concurrency ?? 1) * pool.maxBatchSize;
  return max > base ? { base, max } : undefined;
}

/** The capacity of the channel in front of a node while it is not grown (see {@link elasticCapacity}). */
export function baseCapacityOf(node: GraphNode): number {
  if (node.batch !== undefined) return node.batch.capacity ?? Math.max(stageDefaults.minCapacity, 2 * node.batch.size);
  const s = node.settings;
  if (s?.capacity !== undefined) return s.capacity;
  // a queue that picks by priority or key can only choose among what it holds
  const floor =
    s?.priority !== undefined || s?.fairBy !== undefined ? stageDefaults.schedulingCapacity : stageDefaults.minCapacity;
  // a mapBatch pool stage's items are whole batches: its channel holds as many as a function's would
  if (node.pool !== undefined && node.wholeBatches !== true) {
    const pool = node.pool.factory.settings;
    // a fleet stage (no pool here) bounds its own window; the channel only smooths the source's pulls
    if (pool === undefined) return Math.max(floor, Math.min(node.pool.maxWindow, FLEET_CAPACITY));
    return Math.max(floor, POOL_CAPACITY_PER_WORKER * workersFor(pool, s?.concurrency ?? 1));
  }
  return Math.max(floor, 2 * (s?.concurrency ?? 1));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
