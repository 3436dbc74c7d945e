import { registerHandleGraph } from "./handleGraph.js";
import { keepShapesAfter } from "./shapeAnchors.js";
import { CancelledError } from "../errors/CancelledError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { InvalidPipelineError } from "../errors/InvalidPipelineError.js";
import { BatchResultError } from "../errors/BatchResultError.js";
import { func, knownKeys, nonEmptyString, oneOf, optional, plainObject, positiveInt } from "../options/validate.js";
import type { CompiledPlan } from "../plan/compilePlan.js";
import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import { inlineBlockers } from "../plan/inlineBlockers.js";
import { engine } from "../load/engines.js";
import { openDashboard } from "../run/openDashboard.js";
import { keepAlive } from "../time/keepAlive.js";
import type { Run } from "../run/Run.js";
import type { RunOptions } from "../run/RunOptions.js";
import { validateRunOptions } from "../run/validateRunOptions.js";
import type { StageContext } from "../stage/StageContext.js";
import type { StageKind } from "../stage/StageKind.js";
import {
  batchSettings,
  mapBatchKeys,
  stageSettings,
  type BatchOptions,
  type MapBatchOptions,
  type StageOptions,
} from "../stage/StageOptions.js";
import { isPoolStage, type PoolStage } from "../executor/pool/stage/PoolStage.js";
import type { DispatchContext, RouteStrategy } from "./DispatchContext.js";
import { isFragment, type Fragment } from "./fragment.js";
import type { GraphNode } from "../graph/GraphNode.js";
import type { PipelineGraph } from "../graph/PipelineGraph.js";

/** A stage function: `(item, ctx)`, synchronous or asynchronous. */
export type StageFn<I, O> = (item: I, ctx: StageContext) => O | PromiseLike<O>;

const runnable = Symbol.for("weir.runnable");

/** Options of {@link Stream.stream}. */
export interface StreamOptions extends RunOptions {
  /**
   * Items buffered between the pipeline and the reader. @default 1024
   * @example `p.stream({ capacity: 64 })`
   */
  readonly capacity?: number;
}

/**
 * Options of {@link Stream.through}.
 *
 * @example
 * ```ts
 * stream.through(enrich, { name: "enrich-eu" })
 * ```
 */
export interface ThroughOptions {
  /** This use of the fragment: its stages are named `<name>/<stage>`. @default the fragment's name (`<name>-2`… when used again) */
  readonly name?: string;
}

/**
 * Options of {@link Stream.route}.
 *
 * @example
 * ```ts
 * stream.route((f) => f.kind, ["image", "text"], { name: "by-kind", onError: "dead-letter" })
 * ```
 */
export interface RouteOptions {
  /** Name in stats, events, errors and the plan. @default `route-<n>` */
  readonly name?: string;
  /** What happens to an item whose key throws or names no branch. @default "fail" */
  readonly onError?: "fail" | "skip" | "dead-letter";
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
    registerHandleGraph(this, graph);
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
    const compiled = engine("pipeline").compilePlan(this.#graph);
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
    const where = `pipeline "${this.#graph.name}" run()`;
    const checked = validateRunOptions(options, where);
    const run = new (engine("pipeline").PipelineRun)(this.#graph, this.compiled(), checked);
    openDashboard({ run, plan: () => this.compiled().plan }, checked.dashboard);
    keepShapesAfter(run);
    return run;
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
  map<U>(fn: StageFn<T, U> | PoolStage<T, U>, options?: StageOptions<T>): Stream<Awaited<U>> {
    return this.#stage<Awaited<U>>("map", fn, options);
  }

  /**
   * Keeps the items for which the type guard `fn` holds, narrowing the stream's type.
   *
   * @example
   * ```ts
   * orders.filter((o): o is Paid => o.kind === "paid") // Stream<Paid>
   * ```
   */
  filter<S extends T>(fn: (item: T, ctx: StageContext) => item is S, options?: StageOptions<T>): Stream<S>;
  /** Keeps the items for which `fn` is truthy (or resolves truthy). */
  filter(fn: StageFn<T, unknown> | PoolStage<T, unknown>, options?: StageOptions<T>): Stream<T>;
  filter(fn: StageFn<T, unknown> | PoolStage<T, unknown>, options?: StageOptions<T>): Stream<T> {
    return this.#stage<T>("filter", fn, options);
  }

  /** Replaces each item with the items of the Iterable or AsyncIterable `fn` returns. */
  flatMap<U>(
    fn: StageFn<T, Iterable<U> | AsyncIterable<U>> | PoolStage<T, Iterable<U>>,
    options?: StageOptions<T>,
  ): Stream<U> {
    return this.#stage<U>("flatMap", fn, options);
  }

  /** Calls `fn` for each item and passes the item on unchanged. */
  tap(fn: StageFn<T, unknown> | PoolStage<T, unknown>, options?: StageOptions<T>): Stream<T> {
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
    const label = this.#label("batch", undefined, options);
    const b = batchSettings(options, `stage "${label}"`);
    const node = this.graph.add({
      name: b.name ?? label,
      kind: "batch",
      fn: undefined,
      pool: undefined,
      settings: undefined,
      batch: { size: b.size, maxWaitMs: b.maxWaitMs, capacity: b.capacity },
      route: undefined,
      source: undefined,
      inputs: [this.#edge()],
    });
    return new Stream<T[]>(this.graph, node);
  }

  /**
   * Applies `fn` to whole batches: it gets up to `size` items at once (after `maxWaitMs` a partial
   * batch goes) and returns an array with one result per item, in the same order; each result
   * goes on as its own item. For a database writer or a model call that takes chunks, without a
   * `batch()` stage and a flatten in front. The other options are the stage's (concurrency,
   * retry, timeoutMs, onError…), and apply to a batch as a whole: a throw, a timeout or a result
   * of the wrong length ({@link BatchResultError}) fails the batch, and `onError` then counts
   * each of its items once (the plan shows the batcher and the stage as two steps).
   *
   * `fn` may be a `worker()` or `child()` stage whose function takes an array: each batch then
   * crosses to the pool whole, the function is called once per batch there, and its results are
   * checked there and come back together (for a model or a bulk call inside a worker, and the
   * fastest way to move tiny items through a pool).
   *
   * @example
   * ```ts
   * .mapBatch(async (rows) => db.insertReturningIds(rows), { size: 500, maxWaitMs: 50, concurrency: 4 })
   * .mapBatch(worker<string[], number[][]>(new URL("./embed.js", import.meta.url), "embedAll"), { size: 64 })
   * ```
   */
  mapBatch<U>(
    fn: ((items: T[], ctx: StageContext) => readonly U[] | PromiseLike<readonly U[]>) | PoolStage<T[], readonly U[]>,
    options: MapBatchOptions<T>,
  ): Stream<U> {
    const pool = isPoolStage(fn) ? fn : undefined;
    const label = this.#label("mapBatch", pool?.name ?? (typeof fn === "function" ? fn.name : undefined), options);
    const where = `stage "${label}"`;
    const expected = "a function, or a worker() or child() stage";
    if (pool === undefined && typeof fn !== "function") throw new InvalidOptionError("fn", expected, fn, where);
    if (pool?.context === "fleet") throw new InvalidOptionError("fn", expected, fn, where, "a fleet() stage");
    const given = plainObject(options, "options", where);
    // the batch's options and the stage's together: an unknown one is named with all of them
    knownKeys(given, mapBatchKeys, "", where);
    const { size, maxWaitMs, ...stage } = given as unknown as MapBatchOptions<T>;
    const batched = this.batch({ size, ...(maxWaitMs === undefined ? {} : { maxWaitMs }), name: `${label}/batch` });
    if (pool !== undefined)
      return new Stream<U>(
        this.graph,
        batched.#node("flatMap", pool, { ...(stage as StageOptions<T[]>), name: label }, { source: pool }),
      );
    const call = fn as (items: T[], ctx: StageContext) => readonly U[] | PromiseLike<readonly U[]>;
    const whole = (items: T[], ctx: StageContext): readonly U[] | PromiseLike<readonly U[]> => {
      const out = call(items, ctx);
      if (out !== null && typeof out === "object" && typeof (out as PromiseLike<readonly U[]>).then === "function")
        return (out as PromiseLike<readonly U[]>).then((r) => checkedBatch<U>(label, items, r));
      return checkedBatch<U>(label, items, out);
    };
    return new Stream<U>(
      this.graph,
      batched.#node("flatMap", whole, { ...(stage as StageOptions<T[]>), name: label }, { source: call }),
    );
  }

  /** Ends this branch in a sink: `fn` consumes each item. */
  to(fn: StageFn<T, unknown> | PoolStage<T, unknown>, options?: StageOptions<T>): Sink {
    const node = this.#node("sink", fn, options);
    return new Sink(this.graph, node);
  }

  /**
   * Splits the stream: each item goes to one branch. Returns one stream per branch name. The
   * first argument picks the branch:
   * - a function: the branch `key(item)` names (an item whose key is not listed fails the route:
   *   its `onError` applies);
   * - `"round-robin"`: the branches in turn, item by item (exactly even);
   * - `"least-loaded"`: the branch with the most room in its input channel (ties in turn), so a
   *   slow branch gets fewer items.
   *
   * @example
   * ```ts
   * const { small, large } = files.route((f) => (f.size < 1e6 ? "small" : "large"), ["small", "large"]);
   * const { a, b, c } = jobs.route("round-robin", ["a", "b", "c"]);
   * ```
   */
  route<K extends string>(
    key: ((item: T) => K) | RouteStrategy,
    keys: readonly K[],
    options: RouteOptions = {},
  ): Record<K, Stream<T>> {
    const where = `route "${this.#label("route", undefined, options)}"`;
    const strategy =
      typeof key === "string" ? oneOf(key, ["round-robin", "least-loaded"] as const, "key", where) : "key";
    if (strategy === "key") func(key, "key", where);
    return this.#route<K, Record<K, T>>(
      strategy,
      strategy === "key" ? (key as (item: unknown) => unknown) : undefined,
      undefined,
      keys,
      options,
    );
  }

  /**
   * A router: `fn(item, ctx)` sends the item, or values derived from it, to any of the named
   * branches with `ctx.emit(branch, value)` — to several, or to none. Returns one stream per
   * branch; each ends when this stream ended. Type the branches with `B` when they carry
   * different values.
   *
   * @example
   * ```ts
   * const { audit, review } = orders.dispatch<"audit" | "review", { audit: Order; review: Flag }>(
   *   (o, ctx) => {
   *     ctx.emit("audit", o);
   *     if (o.total > 1000) ctx.emit("review", { id: o.id });
   *   },
   *   ["audit", "review"],
   * );
   * ```
   */
  dispatch<K extends string, B extends { [k in K]: unknown } = { [k in K]: T }>(
    fn: (item: T, ctx: DispatchContext<B>) => void,
    branches: readonly K[],
    options: RouteOptions = {},
  ): { [k in K]: Stream<B[k]> } {
    func(fn, "fn", `dispatch "${this.#label("route", undefined, options)}"`);
    return this.#route<K, B>("emit", undefined, fn as (item: unknown, ctx: never) => unknown, branches, options);
  }

  #route<K extends string, B extends { [k in K]: unknown }>(
    strategy: "key" | "emit" | RouteStrategy,
    key: ((item: unknown) => unknown) | undefined,
    emit: ((item: unknown, ctx: never) => unknown) | undefined,
    keys: readonly K[],
    options: RouteOptions,
  ): { [k in K]: Stream<B[k]> } {
    const label = this.#label("route", undefined, options);
    const where = `${strategy === "emit" ? "dispatch" : "route"} "${label}"`;
    const o = plainObject(options, "options", where);
    knownKeys(o, ["name", "onError"], "", where);
    const name = optional(o.name, label, (v) => nonEmptyString(v, "name", where));
    const onError = optional(o.onError, "fail" as const, (v) =>
      oneOf(v, ["fail", "skip", "dead-letter"] as const, "onError", where),
    );
    const list: readonly unknown[] = keys;
    if (!Array.isArray(list) || list.length === 0)
      throw new InvalidOptionError("keys", "a non-empty array of branch names", keys, where);
    list.forEach((k, i) => {
      if (typeof k !== "string" || k === "") throw new InvalidOptionError(`keys[${i}]`, "a non-empty string", k, where);
      if (list.indexOf(k) !== i)
        throw new InvalidOptionError(`keys[${i}]`, "branch names that differ", `"${k}" twice`, where);
    });
    const node = this.graph.add({
      name,
      kind: "route",
      fn: undefined,
      pool: undefined,
      settings: undefined,
      batch: undefined,
      route: { strategy, key, emit, keys: keys.map(String), onError },
      source: undefined,
      inputs: [this.#edge()],
    });
    const out = {} as { [k in K]: Stream<B[k]> };
    for (const k of keys) out[k] = new Stream<B[typeof k]>(this.graph, node, k);
    return out;
  }

  /**
   * Applies a fragment (a named, reusable run of stages: see {@link fragment}): its stages are
   * added after this stream, named `<fragment>/<stage>`. `options.name` names this use of it
   * (default: the fragment's name, then `<name>-2`… when it is used again in the pipeline).
   *
   * @example
   * ```ts
   * orders.through(enrich).to(write); // stages "enrich/parse", "enrich/paid"
   * ```
   */
  through<O>(fragment: Fragment<T, O>, options: ThroughOptions = {}): Stream<O> {
    const where = `pipeline "${this.graph.name}" through()`;
    if (!isFragment(fragment))
      throw new InvalidOptionError("fragment", "a fragment (from fragment())", fragment, where);
    const o = plainObject(options, "options", where);
    knownKeys(o, ["name"], "", where);
    const name = optional(o.name, undefined, (v) => nonEmptyString(v, "name", where));
    if (name?.includes("/") === true) throw new InvalidOptionError("name", "a name without '/'", name, where);
    return this.graph.inGroup(fragment.name, name, () => {
      const out: unknown = fragment.build(this);
      if (!(out instanceof Stream) || out.graph !== this.graph) {
        throw new InvalidPipelineError(
          this.graph.name,
          `fragment "${fragment.name}" must return a stream of the pipeline it was given (it returned ${out instanceof Handle ? "a sink or another pipeline's stream" : typeof out})`,
        );
      }
      return out as Stream<O>;
    });
  }

  /** Merges this stream with others of the same pipeline into one (arrival order). */
  merge<U>(...others: Stream<U>[]): Stream<T | U> {
    return mergeStreams<T | U>([this as Stream<T | U>, ...(others as Stream<T | U>[])]);
  }

  /** Feeds this stream into a merge point made earlier (the way to close a loop: rejected as a cycle). */
  into(mergePoint: Stream<T>): void {
    if (!(mergePoint instanceof Stream))
      throw new InvalidOptionError(
        "mergePoint",
        "a merge point (a stream from merge())",
        mergePoint,
        `pipeline "${this.graph.name}" into()`,
      );
    if (mergePoint.graph !== this.graph)
      throw new InvalidPipelineError(this.graph.name, "into(): the merge point belongs to another pipeline");
    this.graph.connect(this.#edge(), mergePoint.node);
  }

  /**
   * Runs the pipeline and yields this stream's output, pulled with backpressure. Breaking out of
   * the loop cancels the run (and closes its source: a web stream is cancelled, a Node Readable
   * destroyed); a failed run throws from the loop. The run starts when the loop does. While the
   * loop waits in `next()` the process stays alive (a backoff or rate limit does not let Node
   * exit under it); a reader that stops calling `next()` without leaving keeps nothing alive.
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
    const { capacity: given, ...runOptions } = validateRunOptions<StreamOptions>(
      options,
      `pipeline "${graph.name}" stream()`,
      ["capacity"],
    );
    const capacity = optional(given, 1024, (v) => positiveInt(v, "capacity", `pipeline "${graph.name}" stream()`));
    return {
      [Symbol.asyncIterator](): AsyncIterator<T> {
        if (graph.nodes.some((n) => n.inputs.some((e) => e.from === node.id))) {
          throw new InvalidPipelineError(
            graph.name,
            `stream(): "${node.name}" feeds other stages; stream the end of a branch`,
          );
        }
        const { Channel, FifoQueue, PipelineRun } = engine("pipeline");
        const tap = new Channel<unknown>(new FifoQueue<unknown>(Math.min(capacity, 1024)), capacity, 1);
        const run = new PipelineRun(graph, compiled(), runOptions, { [node.id]: tap }, "caller");
        openDashboard({ run, plan: () => compiled().plan }, runOptions.dashboard);
        keepShapesAfter(run);
        return {
          async next(): Promise<IteratorResult<T>> {
            let release: (() => void) | undefined;
            try {
              for (;;) {
                if (tap.size > 0) return { done: false, value: tap.shift() as T };
                // the reader waits on the pipeline: hold the process as pending I/O would
                release ??= keepAlive();
                if (tap.closed) {
                  await run;
                  return { done: true, value: undefined };
                }
                // the run closes the tap however it ends, so this is the only wait: nothing is
                // left behind per wait (a race against the run would leave a reaction on it each time)
                await tap.readable();
              }
            } finally {
              release?.();
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

  /**
   * The route branch this stream follows (its key), when it is one; undefined otherwise.
   * @internal handles are made by the builder methods
   */
  readonly branch: string | undefined;

  /** @internal */
  constructor(graph: PipelineGraph, node: GraphNode, branch?: string) {
    super(graph, node);
    this.branch = branch;
  }

  #edge(): { from: number; key: string | undefined } {
    return { from: this.node.id, key: this.branch };
  }

  #stage<U>(kind: StageKind, fn: unknown, options: StageOptions<T> | undefined): Stream<U> {
    return new Stream<U>(this.graph, this.#node(kind, fn, options));
  }

  /** The name a node will get: its `name` option when usable, else the default (so errors name it as the plan will). */
  #label(kind: string, fnName: string | undefined, options: unknown): string {
    const name = typeof options === "object" && options !== null ? (options as { name?: unknown }).name : undefined;
    return typeof name === "string" && name !== "" ? this.graph.qualify(name) : this.graph.defaultName(kind, fnName);
  }

  /**
   * `whole`: a `mapBatch` stage, whose function takes each batch whole; its `source` is what the
   * user gave (a pool stage, or the function `fn` wraps to check what it returns).
   */
  #node(
    kind: StageKind,
    fn: unknown,
    options: StageOptions<T> | undefined,
    whole?: { readonly source: unknown },
  ): GraphNode {
    const remote = isPoolStage(fn) ? fn : undefined;
    const label = this.#label(kind, remote?.name ?? (typeof fn === "function" ? fn.name : undefined), options);
    const where = `stage "${label}"`;
    if (remote === undefined) func(fn, "fn", where);
    const settings = stageSettings(options, where);
    if (settings.context === "inline") {
      if (remote !== undefined) {
        throw new InvalidOptionError(
          "context",
          `"async" or none: this stage runs in a ${remote.context} pool`,
          "inline",
          where,
        );
      }
      const blockers = inlineBlockers(fn, settings);
      if (blockers.length > 0)
        throw new InvalidOptionError(
          "context",
          `a synchronous stage with none of: ${blockers.join(", ")}`,
          "inline",
          where,
        );
    }
    const r = remote?.settings;
    const cache = settings.cache;
    const given = whole?.source ?? fn;
    const fnSource =
      remote !== undefined ? remote.factory.source : given !== fn || cache !== undefined ? String(given) : undefined;
    if (cache !== undefined && (remote !== undefined || (kind !== "map" && kind !== "filter" && kind !== "flatMap"))) {
      const what = remote !== undefined ? `a ${remote.context} pool stage` : `a ${kind} stage`;
      throw new InvalidOptionError(
        "cache",
        "a map, filter or flatMap stage on the main loop",
        options?.cache,
        where,
        what,
      );
    }
    return this.graph.add({
      name: settings.name ?? label,
      kind,
      fn:
        remote !== undefined
          ? undefined
          : cache === undefined
            ? (fn as GraphNode["fn"])
            : (cache.wrap(
                fn as NonNullable<GraphNode["fn"]>,
                `${this.graph.name}/${settings.name ?? label}`,
              ) as GraphNode["fn"]),
      ...(fnSource === undefined ? {} : { fnSource }),
      ...(whole === undefined ? {} : { wholeBatches: true as const }),
      pool:
        remote === undefined
          ? undefined
          : {
              factory: remote.factory,
              maxWindow:
                remote.factory.maxWindow?.(settings.concurrency) ??
                (r === undefined
                  ? 1
                  : Math.min(settings.concurrency, r.maxWorkers) * r.batchesPerWorker * r.maxBatchSize),
            },
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

/**
 * Merges streams of one pipeline into one stream (arrival order among them); it ends when every
 * input ended.
 *
 * @example
 * ```ts
 * merge([thumbs, parts], "uploaded").to(record);
 * ```
 */
export function mergeStreams<T>(streams: readonly Stream<T>[], name?: string): Stream<T> {
  const where = `merge "${typeof name === "string" && name !== "" ? name : "merge"}"`;
  if (!Array.isArray(streams) || streams.length === 0)
    throw new InvalidOptionError("streams", "a non-empty array of streams", streams, where);
  if (name !== undefined) nonEmptyString(name, "name", where);
  const handles = (streams as readonly unknown[]).map((s, i) => {
    // a Sink is a handle too: the graph then rejects the edge ("nothing can follow a sink")
    if (!(s instanceof Handle)) throw new InvalidOptionError(`streams[${i}]`, "a stream of a pipeline", s, where);
    return s as unknown as { graph: PipelineGraph; node: GraphNode; branch?: string };
  });
  const graph = handles[0]!.graph;
  const edges = handles.map((h) => {
    if (h.graph !== graph)
      throw new InvalidPipelineError(graph.name, "merge(): the streams belong to different pipelines");
    return { from: h.node.id, key: h.branch };
  });
  const node = graph.add({
    name: name ?? graph.defaultName("merge", undefined),
    kind: "merge",
    fn: undefined,
    pool: undefined,
    settings: undefined,
    batch: undefined,
    route: undefined,
    source: undefined,
    inputs: edges,
  });
  return new Stream<T>(graph, node);
}

/** What a `mapBatch` function returned, checked: an array with one result per item. */
function checkedBatch<U>(stage: string, items: readonly unknown[], out: unknown): readonly U[] {
  if (!Array.isArray(out) || out.length !== items.length) throw new BatchResultError(stage, items.length, out);
  return out as readonly U[];
}
