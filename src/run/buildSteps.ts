import { Channel } from "../channel/Channel.js";
import { AsyncExecutor } from "../executor/AsyncExecutor.js";
import type { Executor } from "../executor/Executor.js";
import { baseCapacityOf, capacityOf, elasticCapacity, type CompiledPlan } from "../plan/compilePlan.js";
import type { GraphNode } from "../graph/GraphNode.js";
import type { PipelineGraph } from "../graph/PipelineGraph.js";
import { openSource } from "../source/openSource.js";
import { describeSource } from "../source/describeSource.js";
import { attachSourceToRun } from "../source/attachRun.js";
import type { StageContext } from "../stage/StageContext.js";
import { BlockedTime } from "../stats/BlockedTime.js";
import type { StageCounters } from "../stats/StageCounters.js";
import { BatchStep } from "./queue/BatchStep.js";
import { ChannelStep } from "./queue/ChannelStep.js";
import type { DurablePipeline } from "./durable/DurablePipeline.js";
import type { ItemKeys } from "../executor/ItemKeys.js";
import { Emitter } from "./emit/Emitter.js";
import { FusedTail } from "./fused/FusedTail.js";
import { fusedContext, type InlineOp } from "./fused/InlineOp.js";
import { Outlet, type OutletRoute } from "./emit/Outlet.js";
import { isFiniteNumber, isQueueKey, QueueKeyGuard } from "./queue/QueueKeyGuard.js";
import type { Run } from "./Run.js";
import type { RunOptions } from "./RunOptions.js";
import type { RunScope } from "./RunScope.js";
import { routePicker } from "./emit/routePicker.js";
import { SourceStep } from "./source/SourceStep.js";
import { sourceGate } from "./source/sourceGate.js";
import { sourceRunView } from "./source/sourceRunView.js";
import { StageStep } from "./stage/StageStep.js";
import { stageAdmission } from "./stage/stageAdmission.js";
import { stageQueue } from "./queue/stageQueue.js";
import type { Step } from "./Step.js";

/** Extra outputs a caller taps (e.g. `stream()` reads a node's output through a channel). */
export interface RunTaps {
  readonly [nodeId: number]: Channel<unknown>;
}

/**
 * What building a run's steps fills in or reads on the run: its collections (so a run that fails
 * while being set up still closes and releases what was built) and its durable side, if any.
 */
export interface RunParts {
  /** The run itself: the scope every step reports to. */
  readonly run: RunScope & Run & { lowWatermark(): number };
  /** Counters by node id. */
  readonly counters: readonly StageCounters[];
  /** Every channel built (closed when the run ends). */
  readonly channels: Channel<unknown>[];
  /** `stream()` taps (closed on every way the run ends). */
  readonly taps: Channel<unknown>[];
  /** Executors built (closed when the run ends). */
  readonly executors: Executor[];
  /** Stages that run in an executor of their own, by node id. */
  readonly executorOf: Map<number, Executor>;
  /** Colocated pool stages → the head of their chain. */
  readonly colocated: Map<number, number>;
  /** Unsubscribes from shared policies' events when the run ends. */
  readonly disposers: Array<() => void>;
  /** The source steps, in the order the sources were added. */
  readonly sources: PipelineSource[];
  /** What run-aware sources want done before the run settles. */
  readonly sourceEnds: Array<() => Promise<void>>;
  /** The run's durable side (`run({ store })`), if any. */
  readonly durable: DurablePipeline | undefined;
  /** Item keys for `ctx.key`: the durable run's, or those given by who started the run (a dead-letter replay). */
  readonly keys: ItemKeys | undefined;
}

/** One source of the run. */
export interface PipelineSource {
  readonly step: SourceStep;
  /** Its place among the pipeline's sources. */
  readonly index: number;
  /** How errors name it. */
  readonly label: string;
}

/** How errors name one of several sources: `source "refunds" (an async iterable)`. */
function sourceLabel(name: string, described: string): string {
  const what = described.replace(/^source ?/, "");
  if (what === "") return `source "${name}"`;
  return what.startsWith("(") ? `source "${name}" ${what}` : `source "${name}" (${what})`;
}

/**
 * Builds a run's steps from its compiled plan: the channels between them (with their queues and
 * key guards), each step's fused tail and outlet, its executor and admission, in plan order.
 */
export function buildSteps(
  parts: RunParts,
  graph: PipelineGraph,
  compiled: CompiledPlan,
  options: RunOptions,
  taps: RunTaps,
): Step[] {
  const { run } = parts;
  const { plan, stepNodes } = compiled;
  // first, so that a run failing to set up closes them too
  const tapList = Object.entries(taps).map(([id, ch]) => [Number(id), ch] as const);
  for (const [, ch] of tapList) {
    parts.channels.push(ch);
    parts.taps.push(ch);
  }
  const guards = new Map<Channel<unknown>, QueueKeyGuard<unknown>>();
  const sourceCount = graph.nodes.filter((n) => n.kind === "source").length;
  const sourceTurns = sourceCount === 1 ? undefined : { last: -1, waiting: 0 };
  const inputs = plan.steps.map((step) => {
    if (step.input === null) return undefined;
    const head = graph.nodes[stepNodes[step.id]![0]!]!;
    const counters = parts.counters[head.id]!;
    const guard = queueGuard(run, head, counters);
    const settings = guard === undefined ? head.settings : { ...head.settings!, [guard.option]: guard.guard.forQueue };
    const queue = stageQueue(settings, step.input.capacity, run.clock);
    // a pool stage's default channel starts at its base and grows with the batch size (StageStep)
    const channel = new Channel<unknown>(queue, baseCapacityOf(head), head.inputs.length, step.input.overflow);
    if (guard !== undefined) guards.set(channel, guard.guard);
    parts.channels.push(channel);
    counters.queueDepth = () => channel.size;
    counters.queueCapacity = () => channel.capacity;
    counters.dropped = () => channel.dropped;
    if (step.input.overflow !== "block") {
      channel.onDrop = (item, index) => {
        if (run.events.has("stage:drop"))
          run.events.emit("stage:drop", { stage: head.name, index: Math.floor(index), item });
      };
    }
    return channel;
  });

  return plan.steps.map((step) => {
    const ids = stepNodes[step.id]!;
    const head = graph.nodes[ids[0]!]!;
    const exit = graph.nodes[ids[ids.length - 1]!]!;
    const tailNodes = ids
      .slice(1)
      .map((i) => graph.nodes[i]!)
      .filter((n) => n.kind !== "route" && n.pool === undefined);
    const headIsInline = step.headKind === "channel" && head.kind !== "merge" && head.kind !== "route";
    const inlineNodes = headIsInline ? [head, ...tailNodes] : tailNodes;
    const tail =
      inlineNodes.length > 0
        ? new FusedTail(
            inlineNodes.map((n) => inlineOp(parts, n)),
            run,
            parts.keys?.children,
          )
        : undefined;

    // where the output goes
    const consumers = graph.nodes.filter((n) => n.inputs.some((e) => e.from === exit.id));
    let route: OutletRoute | undefined;
    let channels: Channel<unknown>[] = [];
    if (exit.kind === "route") {
      const branches = new Map<string, Channel<unknown>[]>();
      for (const key of exit.route!.keys) branches.set(key, []);
      for (const c of consumers) {
        for (const e of c.inputs) if (e.from === exit.id) branches.get(e.key!)!.push(inputs[compiled.stepOf[c.id]!]!);
      }
      route = {
        key: routePicker(exit.route!, branches),
        emit: exit.route!.emit as OutletRoute["emit"],
        branches,
        counters: parts.counters[exit.id]!,
        onError: exit.route!.onError,
      };
    } else {
      channels = consumers.map((c) => inputs[compiled.stepOf[c.id]!]!);
    }
    const tap = tapList.find(([id]) => id === exit.id)?.[1];
    if (tap !== undefined) channels.push(tap);
    const blocked = new BlockedTime(() => run.clock.now());
    for (const id of ids) parts.counters[id]!.backPressuredMs = (now) => blocked.totalMs(now);
    const emitter = new Emitter(tail, new Outlet(channels, route, run, guards, blocked));
    const counters = parts.counters[head.id]!;
    const input = inputs[step.id];

    switch (step.headKind) {
      case "source": {
        const numbering = { sources: sourceCount, index: parts.sources.length, turns: sourceTurns };
        const described = describeSource(head.source!);
        const step = new SourceStep(
          parts.durable === undefined
            ? openSource(head.source!, run.pipeline)
            : parts.durable.openSource(head.source!, run.pipeline, numbering),
          emitter,
          counters,
          run,
          sourceGate(options, run.clock, run.signal),
          numbering,
        );
        parts.sources.push({
          step,
          index: numbering.index,
          label: sourceCount === 1 ? described : sourceLabel(head.name, described),
        });
        const end = attachSourceToRun(head.source, sourceCount === 1 ? run : sourceRunView(run, numbering));
        if (end !== undefined) parts.sourceEnds.push(end);
        return step;
      }
      case "batch":
        return new BatchStep(input!, emitter, run, counters, head.batch!.size, head.batch!.maxWaitMs);
      case "channel":
        return new ChannelStep(
          input!,
          emitter,
          run,
          head.kind === "merge" || head.kind === "route" ? counters : undefined,
        );
      case "stage": {
        const s = head.settings!;
        const executor = executorFor(parts, head, ids, graph, options.clock === undefined);
        parts.executorOf.set(head.id, executor);
        counters.loopDelayMs = () => executor.loopDelayMs?.() ?? 0;
        const policies = stageAdmission(s, counters, run);
        parts.disposers.push(policies.dispose);
        return new StageStep(input!, executor, emitter, counters, run, {
          kind: (executor.emitsMany === true && head.kind !== "sink" ? "flatMap" : head.kind) as "map",
          concurrency: s.concurrency,
          ordered: s.ordered,
          reorderCapacity: capacityOf(head),
          elasticInput: elasticCapacity(head),
          retry: s.retry,
          timeoutMs: s.timeoutMs,
          onError: s.onError,
          admission: policies.admission,
          maxWaitMs: s.maxWaitMs,
          shareSettleTime: options.clock === undefined,
          // a keyed run's flatMap: its outputs are children with keys of their own (in a pool
          // chain holding one, by their place among the chain's outputs)
          children:
            head.kind === "flatMap" ||
            (head.pool !== undefined &&
              ids.some((id) => graph.nodes[id]!.pool !== undefined && graph.nodes[id]!.kind === "flatMap"))
              ? parts.keys?.children
              : undefined,
        });
      }
    }
  });
}

/**
 * `realTime`: the run is on the system clock, so a pool stage's timeout can be the pool's (it
 * times each item from when its worker starts it); on an injected clock the stage runner keeps
 * timing it, from when it is handed to the pool.
 */
function executorFor(
  parts: RunParts,
  node: GraphNode,
  stepIds: readonly number[],
  graph: PipelineGraph,
  realTime: boolean,
): Executor {
  let executor: Executor;
  if (node.pool !== undefined) {
    // the head and the pool stages colocated after it, as one chain
    const chain = stepIds
      .map((id) => graph.nodes[id]!)
      .filter((n) => n.pool !== undefined)
      .map((n) => ({
        kind: n.wholeBatches === true ? ("mapBatch" as const) : ((n.kind === "sink" ? "tap" : n.kind) as "map"),
        exportName: n.pool!.factory.exportName,
        stage: n.name,
      }));
    executor = node.pool.factory.create(node.name, chain, realTime ? node.settings?.timeoutMs : undefined);
    for (const id of stepIds.slice(1)) {
      const n = graph.nodes[id]!;
      if (n.pool !== undefined) parts.colocated.set(n.id, node.id);
    }
  } else executor = new AsyncExecutor(node.fn as (item: unknown, ctx: StageContext) => unknown, node.name);
  parts.executors.push(executor);
  if (parts.keys !== undefined) executor.useKeys?.(parts.keys);
  if (executor.fleetStats !== undefined) parts.counters[node.id]!.fleet = () => executor.fleetStats!();
  return executor;
}

/**
 * A guard for a stage whose queue orders items by a function of the item (`priority`,
 * `fairBy`): the function is called, and its value checked, as each item enters the channel.
 */
function queueGuard(
  run: RunScope,
  node: GraphNode,
  counters: StageCounters,
): { option: "priority" | "fairBy"; guard: QueueKeyGuard<unknown> } | undefined {
  const s = node.settings;
  if (s === undefined) return undefined;
  if (s.priority !== undefined) {
    return {
      option: "priority",
      guard: new QueueKeyGuard("priority", s.priority, isFiniteNumber, "a finite number", counters, s.onError, run),
    };
  }
  if (s.fairBy !== undefined) {
    return {
      option: "fairBy",
      guard: new QueueKeyGuard("fairBy", s.fairBy, isQueueKey, "a string or a finite number", counters, s.onError, run),
    };
  }
  return undefined;
}

function inlineOp(parts: RunParts, node: GraphNode): InlineOp {
  return {
    kind: node.kind as InlineOp["kind"],
    fn: node.fn as InlineOp["fn"],
    ctx: fusedContext(parts.run.signal, node.name, parts.keys),
    onError: node.settings!.onError,
    counters: parts.counters[node.id]!,
  };
}
