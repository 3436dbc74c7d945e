import { Channel } from "../channel/Channel.js";
import { FifoQueue } from "../channel/FifoQueue.js";
import { CancelledError } from "../errors/CancelledError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { InvalidPipelineError } from "../errors/InvalidPipelineError.js";
import { func, nonEmptyString } from "../options/validate.js";
import { compilePlan, type CompiledPlan } from "../plan/compilePlan.js";
import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import { PipelineRun } from "../run/PipelineRun.js";
import type { Run } from "../run/Run.js";
import type { RunOptions } from "../run/RunOptions.js";
import type { StageContext } from "../stage/StageContext.js";
import type { StageKind } from "../stage/StageKind.js";
import { batchSettings, stageSettings, type BatchOptions, type StageOptions } from "../stage/StageOptions.js";
import { isRemoteStage, type RemoteStage } from "../executor/remote/RemoteStage.js";
import type { GraphNode } from "./GraphNode.js";
import type { PipelineGraph } from "./PipelineGraph.js";

/** A stage function: `(item, ctx)`, synchronous or asynchronous. */
export type StageFn<I, O> = (item: I, ctx: StageContext) => O | PromiseLike<O>;

const runnable = Symbol.for("weir.runnable");

/** Options of {@link Stream.stream}. */
export interface StreamOptions extends RunOptions {
  /** Items buffered between the pipeline and the reader. @default 1024 */
  readonly capacity?: number;
}

/**
 * Something `weir run` can run: a pipeline handle (any {@link Stream} or {@link Sink}) or a
 * workflow.
 */
export interface Runnable {
  /** The name shown in events, stats and the CLI. */
  readonly name: string;
  /** Starts a run. */
  run(options?: RunOptions): Run;
  /** The execution plan, as plain data. */
  plan(): ExecutionPlan;
}

/** True when `value` is a pipeline handle (from this copy of weir or another). */
export function isPipelineHandle(value: unknown): value is Runnable {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[runnable] === true;
}

/** The part of a handle that runs the whole graph (shared by streams and sinks). */
abstract class Handle implements Runnable {
  readonly #graph: PipelineGraph;
  readonly #node: GraphNode;
  #cached: { version: number; compiled: CompiledPlan } | undefined;

  constructor(graph: PipelineGraph, node: GraphNode) {
    this.#graph = graph;
    this.#node = node;
    Object.defineProperty(this, runnable, { value: true });
  }

  /** The pipeline's name. */
  get name(): string {
    return this.#graph.name;
  }

  /** @internal */
  protected get graph(): PipelineGraph {
    return this.#graph;
  }

  /** @internal */
  protected get node(): GraphNode {
    return this.#node;
  }

  /** @internal */
  protected compiled(): CompiledPlan {
    const cached = this.#cached;
    if (cached !== undefined && cached.version === this.#graph.version) return cached.compiled;
    const compiled = compilePlan(this.#graph);
    this.#cached = { version: this.#graph.version, compiled };
    return compiled;
  }

  /**
   * Runs the whole pipeline this handle belongs to (every branch and sink).
   *
   * @example
   * ```ts
   * const { stats, deadLetters, durationMs } = await p.run({ signal });
   * ```
   */
  run(options: RunOptions = {}): Run {
    return new PipelineRun(this.#graph, this.compiled(), options);
  }

  /** The execution plan: which stages are fused, which get a step and a channel, and why. */
  plan(): ExecutionPlan {
    return this.compiled().plan;
  }
}

/**
 * A stream of items of type `T` in a pipeline: add stages to it, branch it, merge it, run it or
 * read it. Each method returns a new handle; the graph they share grows.
 */
export class Stream<T> extends Handle {
  /** Applies `fn` to each item. */
  map<U>(fn: StageFn<T, U> | RemoteStage<T, U>, options?: StageOptions<T>): Stream<Awaited<U>> {
    return this.#stage<Awaited<U>>("map", fn, options);
  }

  /** Keeps the items for which `fn` is truthy. */
  filter<S extends T>(fn: (item: T, ctx: StageContext) => item is S, options?: StageOptions<T>): Stream<S>;
  filter(fn: StageFn<T, unknown> | RemoteStage<T, unknown>, options?: StageOptions<T>): Stream<T>;
  filter(fn: StageFn<T, unknown> | RemoteStage<T, unknown>, options?: StageOptions<T>): Stream<T> {
    return this.#stage<T>("filter", fn, options);
  }

  /** Replaces each item with the items of the Iterable or AsyncIterable `fn` returns. */
  flatMap<U>(fn: StageFn<T, Iterable<U> | AsyncIterable<U>> | RemoteStage<T, Iterable<U>>, options?: StageOptions<T>): Stream<U> {
    return this.#stage<U>("flatMap", fn, options);
  }

  /** Calls `fn` for each item and passes the item on unchanged. */
  tap(fn: StageFn<T, unknown> | RemoteStage<T, unknown>, options?: StageOptions<T>): Stream<T> {
    return this.#stage<T>("tap", fn, options);
  }

  /**
   * Groups items into arrays of `size`, flushing a partial batch after `maxWaitMs` and at the end.
   *
   * @example
   * ```ts
   * .batch({ size: 500, maxWaitMs: 200 }).to(writeRows)
   * ```
   */
  batch(options: BatchOptions): Stream<T[]> {
    const where = `stage "${options?.name ?? "batch"}"`;
    const b = batchSettings(options, where);
    const node = this.graph.add({
      name: b.name ?? this.graph.defaultName("batch", undefined),
      kind: "batch",
      fn: undefined,
      remote: undefined,
      settings: undefined,
      batch: { size: b.size, maxWaitMs: b.maxWaitMs, capacity: b.capacity },
      route: undefined,
      source: undefined,
      inputs: [this.#edge()],
    });
    return new Stream<T[]>(this.graph, node);
  }

  /** Ends this branch in a sink: `fn` consumes each item. */
  to(fn: StageFn<T, unknown> | RemoteStage<T, unknown>, options?: StageOptions<T>): Sink {
    const node = this.#node("sink", fn, options);
    return new Sink(this.graph, node);
  }

  /**
   * Splits the stream: each item goes to the branch `key(item)` names. Returns one stream per key.
   * An item whose key is not listed fails the route (its `onError` applies).
   *
   * @example
   * ```ts
   * const { small, large } = files.route((f) => (f.size < 1e6 ? "small" : "large"), ["small", "large"]);
   * ```
   */
  route<K extends string>(key: (item: T) => K, keys: readonly K[], options: { name?: string; onError?: "fail" | "skip" | "dead-letter" } = {}): Record<K, Stream<T>> {
    func(key, "key", `route "${options.name ?? "route"}"`);
    const list: readonly K[] = keys;
    if (!Array.isArray(list) || list.length === 0) throw new InvalidOptionError("keys", "a non-empty array of branch names", keys, `route "${options.name ?? "route"}"`);
    const settings = stageSettings({ onError: options.onError }, `route "${options.name ?? "route"}"`);
    const node = this.graph.add({
      name: options.name === undefined ? this.graph.defaultName("route", undefined) : nonEmptyString(options.name, "name", "route"),
      kind: "route",
      fn: undefined,
      remote: undefined,
      settings: undefined,
      batch: undefined,
      route: { key: key as (item: unknown) => unknown, keys: keys.map(String), onError: settings.onError },
      source: undefined,
      inputs: [this.#edge()],
    });
    const out = {} as Record<K, Stream<T>>;
    for (const k of keys as K[]) out[k] = new Stream<T>(this.graph, node, k);
    return out;
  }

  /** Merges this stream with others of the same pipeline into one (arrival order). */
  merge<U>(...others: Stream<U>[]): Stream<T | U> {
    return mergeStreams<T | U>([this as Stream<T | U>, ...(others as Stream<T | U>[])]);
  }

  /** Feeds this stream into a merge point made earlier (the way to close a loop: rejected as a cycle). */
  into(mergePoint: Stream<T>): void {
    if (mergePoint.graph !== this.graph) throw new InvalidPipelineError(this.graph.name, "into(): the merge point belongs to another pipeline");
    this.graph.connect(this.#edge(), mergePoint.node);
  }

  /**
   * Runs the pipeline and yields this stream's output, pulled with backpressure. Breaking out of
   * the loop cancels the run; a failed run throws from the loop.
   *
   * @example
   * ```ts
   * for await (const row of p.map(parse).stream()) console.log(row);
   * ```
   */
  stream(options: StreamOptions = {}): AsyncIterable<T> {
    const graph = this.graph;
    const node = this.node;
    const compiled = (): CompiledPlan => this.compiled();
    return {
      [Symbol.asyncIterator](): AsyncIterator<T> {
        if (graph.nodes.some((n) => n.inputs.some((e) => e.from === node.id))) {
          throw new InvalidPipelineError(graph.name, `stream(): "${node.name}" feeds other stages; stream the end of a branch`);
        }
        const { capacity = 1024, ...runOptions } = options;
        const tap = new Channel<unknown>(new FifoQueue<unknown>(Math.min(capacity, 1024)), capacity, 1);
        const run = new PipelineRun(graph, compiled(), runOptions, { [node.id]: tap });
        return {
          async next(): Promise<IteratorResult<T>> {
            for (;;) {
              if (tap.size > 0) return { done: false, value: tap.shift() as T };
              if (tap.closed) {
                await run;
                return { done: true, value: undefined };
              }
              await Promise.race([tap.readable(), run.then(() => undefined)]);
            }
          },
          async return(): Promise<IteratorResult<T>> {
            run.fail(new CancelledError(`pipeline "${graph.name}" (stream closed by its reader)`));
            await run.then(undefined, () => undefined);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** @internal */
  constructor(graph: PipelineGraph, node: GraphNode, readonly branch?: string) {
    super(graph, node);
  }

  #edge(): { from: number; key: string | undefined } {
    return { from: this.node.id, key: this.branch };
  }

  #stage<U>(kind: StageKind, fn: unknown, options: StageOptions<T> | undefined): Stream<U> {
    return new Stream<U>(this.graph, this.#node(kind, fn, options));
  }

  #node(kind: StageKind, fn: unknown, options: StageOptions<T> | undefined): GraphNode {
    const label = options?.name ?? (typeof fn === "function" && fn.name !== "" ? fn.name : kind);
    const where = `stage "${label}"`;
    const remote = isRemoteStage(fn) ? fn : undefined;
    if (remote === undefined) func(fn, "fn", where);
    const settings = stageSettings(options, where);
    const r = remote?.settings;
    return this.graph.add({
      name: settings.name ?? this.graph.defaultName(kind, remote?.exportName ?? (fn as { name?: string }).name),
      kind,
      fn: remote === undefined ? (fn as GraphNode["fn"]) : undefined,
      remote:
        remote === undefined || r === undefined
          ? undefined
          : { factory: remote.factory, maxWindow: Math.min(settings.concurrency, r.maxWorkers) * r.batchesPerWorker * r.maxBatchSize },
      settings,
      batch: undefined,
      route: undefined,
      source: undefined,
      inputs: [this.#edge()],
    });
  }
}

/** The end of a branch: it can be run, or planned, but nothing follows it. */
export class Sink extends Handle {}

/** Merges streams of one pipeline into one stream (arrival order among them). */
export function mergeStreams<T>(streams: readonly Stream<T>[], name?: string): Stream<T> {
  const first = streams[0];
  if (first === undefined) throw new InvalidOptionError("streams", "at least one stream", streams, "merge");
  const graph = (first as unknown as { graph: PipelineGraph }).graph;
  const edges = streams.map((s) => {
    const h = s as unknown as { graph: PipelineGraph; node: GraphNode; branch?: string };
    if (h.graph !== graph) throw new InvalidPipelineError(graph.name, "merge(): the streams belong to different pipelines");
    return { from: h.node.id, key: h.branch };
  });
  const node = graph.add({
    name: name ?? graph.defaultName("merge", undefined),
    kind: "merge",
    fn: undefined,
    remote: undefined,
    settings: undefined,
    batch: undefined,
    route: undefined,
    source: undefined,
    inputs: edges,
  });
  return new Stream<T>(graph, node);
}
