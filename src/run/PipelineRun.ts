import { Channel } from "../channel/Channel.js";
import { CancelledError } from "../errors/CancelledError.js";
import { EventBus, type EventHandler, type SubscribeOptions } from "../events/EventBus.js";
import { AsyncExecutor } from "../executor/AsyncExecutor.js";
import type { Executor } from "../executor/Executor.js";
import { capacityOf, type CompiledPlan } from "../plan/compilePlan.js";
import type { GraphNode } from "../pipeline/GraphNode.js";
import type { PipelineGraph } from "../pipeline/PipelineGraph.js";
import { openSource } from "../source/openSource.js";
import type { StageContext } from "../stage/StageContext.js";
import { StageCounters } from "../stats/StageCounters.js";
import type { StageStats } from "../stats/StageStats.js";
import { systemClock, type Clock, type TimerHandle } from "../time/Clock.js";
import { BatchStep } from "./BatchStep.js";
import { ChannelStep } from "./ChannelStep.js";
import { Emitter } from "./Emitter.js";
import { FusedTail } from "./FusedTail.js";
import type { InlineOp } from "./InlineOp.js";
import { Outlet, type OutletRoute } from "./Outlet.js";
import type { Run, StopOptions } from "./Run.js";
import type { DeadLetter, RunEvents } from "./RunEvents.js";
import type { RunOptions } from "./RunOptions.js";
import type { RunResult, RunSnapshot, RunState } from "./RunResult.js";
import type { RunScope } from "./RunScope.js";
import { SourceStep } from "./SourceStep.js";
import { StageStep } from "./StageStep.js";
import { stageAdmission } from "./stageAdmission.js";
import { stageQueue } from "./stageQueue.js";
import { sourceGate } from "./sourceGate.js";
import { TimerWheel } from "../timer/TimerWheel.js";
import type { Step } from "./Step.js";

/** Extra outputs a caller taps (e.g. `stream()` reads a node's output through a channel). */
export interface RunTaps {
  readonly [nodeId: number]: Channel<unknown>;
}

/**
 * A run of a compiled plan: builds channels, counters and steps, starts them on the next
 * microtask (so `run.on(...)` right after `run()` sees every event), and settles once every step
 * ended, or at once when the run fails or is cancelled.
 */
export class PipelineRun implements Run, RunScope {
  readonly pipeline: string;
  readonly [Symbol.toStringTag] = "Run";
  readonly clock: Clock;
  readonly random: () => number;
  readonly events = new EventBus<RunEvents>();
  readonly #controller = new AbortController();
  readonly #counters: StageCounters[];
  readonly #executors: Executor[] = [];
  /** Unsubscribes from shared policies' events when the run ends. */
  readonly #disposers: Array<() => void> = [];
  /** Colocated pool stages → the head of their chain (their stats are the chain's). */
  readonly #colocated = new Map<number, number>();
  readonly #deadLetters: DeadLetter[] = [];
  readonly #channels: Channel<unknown>[] = [];
  readonly #promise: Promise<RunResult>;
  readonly #startedAt: number;
  #source!: SourceStep;
  #steps: readonly Step[] = [];
  #state: RunState = "running";
  #stopped = false;
  #error: unknown;
  #failed = false;
  #graceTimer: TimerHandle | undefined;
  #endedAt: number | undefined;

  constructor(graph: PipelineGraph, compiled: CompiledPlan, options: RunOptions, taps: RunTaps = {}) {
    this.pipeline = graph.name;
    const resolution = options.timerResolutionMs ?? (options.clock === undefined ? 10 : 0);
    const base = options.clock ?? systemClock;
    this.clock = resolution > 0 ? new TimerWheel({ clock: base, resolutionMs: resolution }) : base;
    this.random = options.random ?? Math.random;
    this.#startedAt = this.clock.now();
    this.#counters = graph.nodes.map((n) => new StageCounters(n.name, n.kind, compiled.plan.stages.find((s) => s.name === n.name)!.context));
    const userSignal = options.signal;
    const onUserAbort = (): void => this.#abort(new CancelledError(`pipeline "${this.pipeline}"`, userSignal?.reason));
    let steps: Step[];
    try {
      steps = this.#build(graph, compiled, options, taps);
      this.#steps = steps;
    } catch (error) {
      this.#promise = Promise.reject(error);
      this.#promise.catch(() => undefined);
      return;
    }
    this.#promise = new Promise<RunResult>((resolve, reject) => {
      queueMicrotask(() => {
        if (userSignal?.aborted) onUserAbort();
        else userSignal?.addEventListener("abort", onUserAbort, { once: true });
        this.events.emit("run:start", { pipeline: this.pipeline, at: this.#startedAt });
        const aborted = new Promise<void>((r) => this.signal.addEventListener("abort", () => r(), { once: true }));
        const all = Promise.all(steps.map((s) => s.run().catch((error: unknown) => this.fail(error))));
        void Promise.race([all, aborted]).then(async () => {
          userSignal?.removeEventListener("abort", onUserAbort);
          this.#graceTimer?.cancel();
          for (const dispose of this.#disposers) dispose();
          this.#endedAt = this.clock.now();
          await Promise.allSettled(this.#executors.map((e) => e.close()));
          const durationMs = this.#endedAt - this.#startedAt;
          if (this.#failed) {
            this.#state = this.#error instanceof CancelledError ? "cancelled" : "failed";
            this.events.emit("run:end", { pipeline: this.pipeline, ok: false, durationMs, error: this.#error });
            reject(this.#error);
            return;
          }
          this.#state = "completed";
          for (const c of this.#counters) {
            if (this.events.has("stage:end")) this.events.emit("stage:end", { stage: c.name, stats: c.snapshot(this.#endedAt) });
          }
          const result = this.#result();
          this.events.emit("run:end", { pipeline: this.pipeline, ok: true, durationMs });
          resolve(result);
        });
      });
    });
    this.#promise.catch(() => undefined);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  fail(error: unknown): void {
    this.#abort(error);
  }

  deadLetter(letter: DeadLetter): void {
    this.#deadLetters.push(letter);
    if (this.events.has("stage:dead-letter")) this.events.emit("stage:dead-letter", letter);
  }

  #abort(error: unknown): void {
    if (this.#failed || this.#state === "completed") return;
    this.#failed = true;
    this.#error = error;
    this.#controller.abort(error);
    for (const c of this.#channels) c.closeAll();
  }

  // ---- building ----

  #build(graph: PipelineGraph, compiled: CompiledPlan, options: RunOptions, taps: RunTaps): Step[] {
    const { plan, stepNodes } = compiled;
    const inputs = plan.steps.map((step) => {
      if (step.input === null) return undefined;
      const head = graph.nodes[stepNodes[step.id]![0]!]!;
      const queue = stageQueue(head.settings, step.input.capacity, this.clock);
      const channel = new Channel<unknown>(queue, capacityOf(head), head.inputs.length, step.input.overflow);
      this.#channels.push(channel);
      const counters = this.#counters[head.id]!;
      counters.queueDepth = () => channel.size;
      counters.dropped = () => channel.dropped;
      if (step.input.overflow !== "block") {
        channel.onDrop = (item, index) => {
          if (this.events.has("stage:drop")) this.events.emit("stage:drop", { stage: head.name, index, item });
        };
      }
      return channel;
    });
    const tapList = Object.entries(taps).map(([id, ch]) => [Number(id), ch] as const);
    for (const [, ch] of tapList) this.#channels.push(ch);

    return plan.steps.map((step) => {
      const ids = stepNodes[step.id]!;
      const head = graph.nodes[ids[0]!]!;
      const exit = graph.nodes[ids[ids.length - 1]!]!;
      const tailNodes = ids.slice(1).map((i) => graph.nodes[i]!).filter((n) => n.kind !== "route" && n.remote === undefined);
      const headIsInline = step.headKind === "channel" && head.kind !== "merge" && head.kind !== "route";
      const inlineNodes = headIsInline ? [head, ...tailNodes] : tailNodes;
      const tail = inlineNodes.length > 0 ? new FusedTail(inlineNodes.map((n) => this.#inlineOp(n)), this) : undefined;

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
        route = { key: exit.route!.key, branches, counters: this.#counters[exit.id]!, onError: exit.route!.onError };
      } else {
        channels = consumers.map((c) => inputs[compiled.stepOf[c.id]!]!);
      }
      const tap = tapList.find(([id]) => id === exit.id)?.[1];
      if (tap !== undefined) channels.push(tap);
      const emitter = new Emitter(tail, new Outlet(channels, route, this));
      const counters = this.#counters[head.id]!;
      const input = inputs[step.id];

      switch (step.headKind) {
        case "source":
          this.#source = new SourceStep(openSource(head.source!, this.pipeline), emitter, counters, this, sourceGate(options, this.clock, this.signal));
          return this.#source;
        case "batch":
          return new BatchStep(input!, emitter, this, counters, head.batch!.size, head.batch!.maxWaitMs);
        case "channel":
          return new ChannelStep(input!, emitter, this, head.kind === "merge" || head.kind === "route" ? counters : undefined);
        case "stage": {
          const s = head.settings!;
          const executor = this.#executor(head, ids, graph);
          counters.loopDelayMs = () => executor.loopDelayMs?.() ?? 0;
          const policies = stageAdmission(s, counters, this);
          this.#disposers.push(policies.dispose);
          return new StageStep(input!, executor, emitter, counters, this, {
            kind: (executor.emitsMany === true && head.kind !== "sink" ? "flatMap" : head.kind) as "map",
            concurrency: s.concurrency,
            ordered: s.ordered,
            reorderCapacity: capacityOf(head),
            retry: s.retry,
            timeoutMs: s.timeoutMs,
            onError: s.onError,
            admission: policies.admission,
            maxWaitMs: s.maxWaitMs,
          });
        }
      }
    });
  }

  #executor(node: GraphNode, stepIds: readonly number[], graph: PipelineGraph): Executor {
    let executor: Executor;
    if (node.remote !== undefined) {
      // the head and the pool stages colocated after it, as one chain
      const chain = stepIds
        .map((id) => graph.nodes[id]!)
        .filter((n) => n.remote !== undefined)
        .map((n) => ({ kind: (n.kind === "sink" ? "tap" : n.kind) as "map", exportName: n.remote!.factory.exportName }));
      executor = node.remote.factory.create(node.name, chain);
      for (const id of stepIds.slice(1)) {
        const n = graph.nodes[id]!;
        if (n.remote !== undefined) this.#colocated.set(n.id, node.id);
      }
    } else executor = new AsyncExecutor(node.fn as (item: unknown, ctx: StageContext) => unknown, node.name);
    this.#executors.push(executor);
    return executor;
  }

  #inlineOp(node: GraphNode): InlineOp {
    const ctx: StageContext = Object.freeze({ signal: this.signal, attempt: 1, stage: node.name, index: -1, retryAfter: () => {} });
    return {
      kind: node.kind as InlineOp["kind"],
      fn: node.fn as InlineOp["fn"],
      ctx,
      onError: node.settings!.onError,
      counters: this.#counters[node.id]!,
    };
  }

  // ---- the Run interface ----

  then<A = RunResult, B = never>(
    onFulfilled?: ((value: RunResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  catch<T = never>(onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<RunResult | T> {
    return this.#promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<RunResult> {
    return this.#promise.finally(onFinally);
  }

  on<K extends keyof RunEvents>(type: K, handler: EventHandler<RunEvents[K]>, options?: SubscribeOptions): () => void {
    return this.events.on(type, handler, options);
  }

  stop(options: StopOptions = {}): Promise<RunResult> {
    const graceMs = options.graceMs ?? Infinity;
    if (!this.#stopped && this.#state === "running") {
      this.#stopped = true;
      this.#state = "stopping";
      this.#source.stop();
      this.events.emit("run:stopping", { pipeline: this.pipeline, graceMs });
      if (Number.isFinite(graceMs)) {
        this.#graceTimer = this.clock.setTimer(
          () => this.#abort(new CancelledError(`pipeline "${this.pipeline}" (stop grace of ${graceMs} ms ran out)`)),
          graceMs,
        );
      }
    }
    return this.#promise;
  }

  snapshot(): RunSnapshot {
    const now = this.#endedAt ?? this.clock.now();
    return Object.freeze({
      pipeline: this.pipeline,
      state: this.#state,
      elapsedMs: now - this.#startedAt,
      sourceItems: this.#source.position,
      sourceDone: this.#source.finished,
      lowWatermark: this.lowWatermark(),
      stages: Object.freeze(this.#stageStats(now)),
      deadLetters: this.#deadLetters.length,
    });
  }

  /**
   * The smallest source index still inside the pipeline (or the source position when nothing is):
   * a scan of the bounded channels, slots, reorder windows and batches, so its cost is bounded by
   * the plan's capacities, not the input.
   */
  lowWatermark(): number {
    let min = this.#source.position;
    for (const c of this.#channels) min = Math.min(min, c.minSeq());
    for (const s of this.#steps) min = Math.min(min, s.minSeq());
    return min;
  }

  /** Per-stage stats; a pool stage colocated in a chain reports the chain's (its head's) counts. */
  #stageStats(now: number): StageStats[] {
    const own = this.#counters.map((c) => c.snapshot(now));
    return own.map((s, id) => {
      const head = this.#colocated.get(id);
      return head === undefined ? s : Object.freeze({ ...own[head]!, name: s.name, kind: s.kind });
    });
  }

  #result(): RunResult {
    const now = this.#endedAt ?? this.clock.now();
    const stats: Record<string, StageStats> = {};
    for (const s of this.#stageStats(now)) stats[s.name] = s;
    return Object.freeze({
      pipeline: this.pipeline,
      stats: Object.freeze(stats),
      deadLetters: Object.freeze([...this.#deadLetters]),
      durationMs: now - this.#startedAt,
      sourceItems: this.#source.position,
      stopped: this.#stopped,
    });
  }
}
