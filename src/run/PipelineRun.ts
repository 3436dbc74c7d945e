import type { Channel } from "../channel/Channel.js";
import { ChildKeys } from "../executor/ChildKeys.js";
import { givenItemKeys, itemKey, type ItemKeys } from "../executor/ItemKeys.js";
import { observeRun } from "../events/diagnostics.js";
import { CancelledError } from "../errors/CancelledError.js";
import { SourceError } from "../errors/SourceError.js";
import type { EventBus, EventHandler, SubscribeOptions } from "../events/EventBus.js";
import { runBus } from "../events/runBus.js";
import { ItemLatency } from "../stats/ItemLatency.js";
import type { Executor } from "../executor/Executor.js";
import type { CompiledPlan } from "../plan/compilePlan.js";
import type { PipelineGraph } from "../graph/PipelineGraph.js";
import { bottleneckStage } from "../stats/bottleneckStage.js";
import type { PipelineReading, StageReading } from "../stats/MetricsSink.js";
import { StageCounters } from "../stats/StageCounters.js";
import type { StageStats } from "../stats/StageStats.js";
import { systemClock, type Clock, type TimerHandle } from "../time/Clock.js";
import { keepAlive } from "../time/keepAlive.js";
import { knownKeys, nonNegativeNumber, optional, plainObject } from "../options/validate.js";
import { deadLetterSettings } from "./DeadLetterOptions.js";
import { onAbort } from "./onAbort.js";
import { STOP_GRACE_MS, type Run, type StopOptions } from "./Run.js";
import type { DeadLetter, RunEvents } from "./RunEvents.js";
import type { RunOptions } from "./RunOptions.js";
import type { RunResult, RunSnapshot, RunState } from "./RunResult.js";
import type { RunScope } from "./RunScope.js";
import { SourceStep } from "./source/SourceStep.js";
import { sourceWatermark } from "./source/sourceRunView.js";
import { TimerWheel } from "../time/TimerWheel.js";
import type { Step } from "./Step.js";
import { holdMainLoopDelay, mainLoopDelayMs } from "../time/mainLoopDelay.js";
import { DurablePipeline, type DurableRunOptions } from "./durable/DurablePipeline.js";
import { buildSteps, type PipelineSource, type RunTaps } from "./buildSteps.js";
import { startTrace } from "../stats/startTrace.js";

export type { RunTaps } from "./buildSteps.js";

/**
 * How a run holds the process alive while it has not settled (its timers are unref'd, so a run
 * waiting only on a backoff or a rate limit would otherwise let Node exit under its `await`):
 * `"run"` holds from the start until it settles; `"caller"` leaves it to the caller (`stream()`
 * holds while its reader waits in `next()`, so an abandoned reader cannot keep a process alive);
 * `"weir"`, weir's own run (`src/pipeline/shapeAnchors.ts`), holds nothing and is not published
 * to `diagnostics_channel`.
 */
export type ProcessHold = "run" | "caller" | "weir";

/**
 * A run of a compiled plan: builds channels, counters and steps, starts them on the next
 * microtask (so `run.on(...)` right after `run()` sees every event), and settles once every step
 * ended, or at once when the run fails or is cancelled.
 */
export class PipelineRun implements Run, RunScope {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** `[object Run]`. */
  readonly [Symbol.toStringTag] = "Run";
  /** The run's clock: the given one, or a timer wheel over the system clock. */
  readonly clock: Clock;
  /** Randomness for retry jitter. */
  readonly random: () => number;
  /** The run's bus (`run.on`); it forwards every event to `options.events` when given. */
  readonly events: EventBus<RunEvents>;
  readonly #controller = new AbortController();
  /** The controller has aborted (set just before it does: see {@link PipelineRun.aborted}). */
  #aborted = false;
  readonly #counters: StageCounters[];
  readonly #executors: Executor[] = [];
  /** Unsubscribes from shared policies' events when the run ends. */
  readonly #disposers: Array<() => void> = [];
  /** Stages that run in an executor of their own, by node id (for its pool's metrics). */
  readonly #executorOf = new Map<number, Executor>();
  /** Colocated pool stages → the head of their chain (their stats are the chain's). */
  readonly #colocated = new Map<number, number>();
  /** The first `deadLetters.keep` dead letters; the rest are counted in #deadLettersDropped. */
  readonly #deadLetters: DeadLetter[] = [];
  #deadLetterKeep = 0;
  #deadLettersDropped = 0;
  readonly #channels: Channel<unknown>[] = [];
  /** `stream()` taps: closed on every way the run ends, so a reader never waits on an ended run. */
  readonly #taps: Channel<unknown>[] = [];
  readonly #promise: Promise<RunResult>;
  readonly #startedAt: number;
  /** The source steps, in the order the sources were added (none when the run failed while being set up). */
  readonly #sources: PipelineSource[] = [];
  /** The source that failed first (the run rejects with it once what was read drained). */
  #failedSource: PipelineSource | undefined;
  /** What run-aware sources want done before the run settles (their last acknowledgements). */
  readonly #sourceEnds: Array<() => Promise<void>> = [];
  #steps: readonly Step[] = [];
  #state: RunState = "running";
  #stopped = false;
  #error: unknown;
  #failed = false;
  #graceTimer: TimerHandle | undefined;
  /** Set when `stop()`'s grace ran out: items cut short then (the run resolves with it). */
  #abandoned: number | undefined;
  #endedAt: number | undefined;
  /** The low watermark when the run ended (what is left in the steps then no longer moves). */
  #finalWatermark: number | undefined;
  /** The main loop's delay when the run ended (inline stages report it; read after release). */
  #mainLoopDelayMs: number | undefined;
  /** The run's durable side (`run({ store })`), once claimed. */
  #durable: DurablePipeline | undefined;
  /** Item keys given by who started the run (a dead-letter replay: the original keys). */
  readonly #givenKeys: ItemKeys | undefined;
  /** The keys the run's items have (`ctx.key`), with its flatMap children's; undefined without keys. */
  #keys: ItemKeys | undefined;
  /** Ends the `metrics` sink's reading of this run (its counters are final then). */
  #detachMetrics: (() => void) | undefined;
  /** End-to-end item latency, measured for a `metrics` sink (a run of one source). */
  #itemLatency: ItemLatency | undefined;

  constructor(
    graph: PipelineGraph,
    compiled: CompiledPlan,
    options: RunOptions,
    taps: RunTaps = {},
    hold: ProcessHold = "run",
  ) {
    this.pipeline = graph.name;
    this.#givenKeys = givenItemKeys(options);
    this.events = runBus<RunEvents>(options.events, `pipeline "${graph.name}"`, this);
    if (hold !== "weir") observeRun(this, this.events);
    const resolution = options.timerResolutionMs ?? (options.clock === undefined ? 10 : 0);
    const base = options.clock ?? systemClock;
    this.clock = resolution > 0 ? new TimerWheel({ clock: base, resolutionMs: resolution }) : base;
    this.random = options.random ?? Math.random;
    this.#startedAt = this.clock.now();
    this.#counters = graph.nodes.map(
      (n) => new StageCounters(n.name, n.kind, compiled.plan.stages.find((s) => s.name === n.name)!.context),
    );
    graph.nodes.forEach((n, k) => n.settings?.cache && (this.#counters[k]!.cache = n.settings.cache.counter()));
    // `tracer`: each stage's attempts report to its trace (untraced runs keep plain counters)
    const trace = startTrace(options.tracer, { kind: "pipeline", name: graph.name });
    if (trace !== undefined)
      for (const c of this.#counters) {
        const t = trace.stage(c);
        if (t !== undefined) c.traceTo(t);
      }
    // inline stages run on the main loop: they report its delay (async stages, through their executor)
    const releaseLoop = holdMainLoopDelay();
    for (const c of this.#counters)
      if (c.context === "inline") c.loopDelayMs = () => this.#mainLoopDelayMs ?? mainLoopDelayMs();
    const userSignal = options.signal;
    const onUserAbort = (): void => this.#abort(new CancelledError(`pipeline "${this.pipeline}"`, userSignal?.reason));
    // one listener on the caller's signal however many runs share it; removed when this run ends
    let unsubscribeUser = noop;
    // from run start until it settles, on every path (the release runs once the promise settled)
    const releaseKeepAlive = hold === "run" ? keepAlive() : noop;
    const release = (): void => {
      this.#mainLoopDelayMs ??= mainLoopDelayMs();
      releaseLoop();
      releaseKeepAlive();
      this.#itemLatency?.end();
      this.#detachMetrics?.();
      this.#detachMetrics = undefined;
    };
    const durable = durableOptions(options);
    if (durable !== undefined) {
      // claimed first: the source opens where the last checkpoint left it
      this.#promise = DurablePipeline.open(graph, durable).then(
        (d) => {
          this.#durable = d;
          return this.#settleDurable(
            this.#start(
              graph,
              compiled,
              options,
              taps,
              userSignal,
              onUserAbort,
              () => unsubscribeUser(),
              (u) => (unsubscribeUser = u),
            ),
          );
        },
        (error: unknown) => this.#setupFailed(error),
      );
    } else {
      this.#promise = this.#start(
        graph,
        compiled,
        options,
        taps,
        userSignal,
        onUserAbort,
        () => unsubscribeUser(),
        (u) => (unsubscribeUser = u),
      );
    }
    this.#promise.then(release, release);
    if (trace !== undefined)
      this.#promise.then(
        () => trace.end(true, undefined),
        (e: unknown) => trace.end(false, e),
      );
  }

  /** Builds the steps and starts them on the next microtask; settles when the run ends. */
  #start(
    graph: PipelineGraph,
    compiled: CompiledPlan,
    options: RunOptions,
    taps: RunTaps,
    userSignal: AbortSignal | undefined,
    onUserAbort: () => void,
    unsubscribeUser: () => void,
    setUnsubscribeUser: (unsubscribe: () => void) => void,
  ): Promise<RunResult> {
    let steps: Step[];
    try {
      this.#deadLetterKeep = deadLetterSettings(options.deadLetters, `pipeline "${graph.name}" run()`).keep;
      steps = buildSteps(
        {
          run: this,
          counters: this.#counters,
          channels: this.#channels,
          taps: this.#taps,
          executors: this.#executors,
          executorOf: this.#executorOf,
          colocated: this.#colocated,
          disposers: this.#disposers,
          sources: this.#sources,
          sourceEnds: this.#sourceEnds,
          durable: this.#durable,
          keys: (this.#keys = this.#withChildren(this.#durable?.keys ?? this.#givenKeys)),
        },
        graph,
        compiled,
        options,
        taps,
      );
      this.#steps = steps;
      if (this.#stopped) for (const s of this.#sources) s.step.stop();
      this.#durable?.attach(this);
      if (options.metrics !== undefined) {
        const source = graph.nodes.findIndex((n) => n.kind === "source");
        if (this.#sources.length === 1 && source >= 0) {
          const latency = (this.#itemLatency = new ItemLatency(this.clock, () => this.lowWatermark()));
          this.#counters[source]!.admitted = (start, n) => latency.admitted(start, n);
        }
        this.#detachMetrics = options.metrics.attach({
          kind: "pipeline",
          name: this.pipeline,
          read: () => this.#metricsReading(),
        });
      }
    } catch (error) {
      return this.#setupFailed(error);
    }
    return new Promise<RunResult>((resolve, reject) => {
      queueMicrotask(() => {
        if (userSignal?.aborted) onUserAbort();
        else if (userSignal !== undefined) setUnsubscribeUser(onAbort(userSignal, onUserAbort));
        this.events.emit("run:start", { pipeline: this.pipeline, at: this.#startedAt });
        // steps listen through one fan-out: a run of many stages adds one listener to its signal
        let unsubscribeAborted = noop;
        const aborted = new Promise<void>((r) => (unsubscribeAborted = onAbort(this.signal, r)));
        const all = Promise.all(
          steps.map((s) =>
            s.run().then(
              () => this.#stepEnded(s),
              (error: unknown) => this.fail(error),
            ),
          ),
        );
        void Promise.race([all, aborted]).then(async () => {
          unsubscribeUser();
          unsubscribeAborted();
          this.#graceTimer?.cancel();
          for (const dispose of this.#disposers) dispose();
          for (const tap of this.#taps) tap.closeAll();
          this.#endedAt = this.clock.now();
          this.#finalWatermark = this.#scanWatermark();
          this.#mainLoopDelayMs = mainLoopDelayMs();
          await Promise.allSettled([...this.#executors.map((e) => e.close()), ...this.#sourceEnds.map((end) => end())]);
          const durationMs = this.#endedAt - this.#startedAt;
          const failed = this.#failedSource ?? this.#sources.find((s) => s.step.failure !== undefined);
          const sourceFailure = failed?.step.failure;
          if (failed !== undefined && sourceFailure !== undefined) {
            // what was read before the failure drained (or as much as the run let through)
            this.#failed = true;
            this.#error = new SourceError(
              this.pipeline,
              sourceFailure.position,
              sourceFailure.cause,
              sourceWatermark(
                this.#sources.length === 1 ? this.#finalWatermark : this.#scanWatermark(failed.step),
                this.#sources.length,
                failed.index,
                sourceFailure.position,
              ),
              failed.label,
            );
          }
          if (this.#failed) {
            this.#state = this.#error instanceof CancelledError ? "cancelled" : "failed";
            this.events.emit("run:end", { pipeline: this.pipeline, ok: false, durationMs, error: this.#error });
            this.events.clear(); // ends run.on() subscriptions, and their listeners on callers' signals
            reject(this.#error);
            return;
          }
          if (this.#abandoned !== undefined) {
            // stop()'s grace ran out: the run resolves, saying what it cut short
            this.#state = "cancelled";
            const result = this.#result();
            this.events.emit("run:end", { pipeline: this.pipeline, ok: false, durationMs, error: this.signal.reason });
            this.events.clear();
            resolve(result);
            return;
          }
          this.#state = "completed";
          for (const c of this.#counters) {
            if (this.events.has("stage:end"))
              this.events.emit("stage:end", {
                stage: c.name,
                stats: c.snapshot(this.#endedAt!, this.#endedAt! - this.#startedAt),
              });
          }
          const result = this.#result();
          this.events.emit("run:end", { pipeline: this.pipeline, ok: true, durationMs });
          this.events.clear(); // ends run.on() subscriptions, and their listeners on callers' signals
          resolve(result);
        });
      });
    });
  }

  /**
   * A durable run's end in the store: completed, failed, or (stopped, cancelled, cut short)
   * released unfinished, resumable. A store failure then (fenced off, disk full) fails the run.
   */
  async #settleDurable(run: Promise<RunResult>): Promise<RunResult> {
    const durable = this.#durable!;
    let result: RunResult;
    try {
      result = await run;
    } catch (error) {
      const state = error instanceof CancelledError ? "running" : "failed";
      await durable.end(state, state === "failed" ? error : undefined).catch(() => {});
      throw durable.handle.failure ?? error;
    }
    const unfinished = result.stopped || result.abandoned > 0;
    await durable.end(unfinished ? "running" : "completed");
    if (durable.handle.failure !== undefined) throw durable.handle.failure;
    return result;
  }

  /** The id of a durable run (`run({ store })`) once claimed; undefined otherwise. */
  get runId(): string | undefined {
    return this.#durable?.runId;
  }

  /**
   * The run could not be set up (a function source returned no source, a pool failed to start…):
   * it is failed from the start. What was built is released; `snapshot()` and `stop()` still
   * work; `run:end` is emitted once listeners could subscribe.
   */
  async #setupFailed(error: unknown): Promise<RunResult> {
    this.#failed = true;
    this.#error = error;
    this.#state = "failed";
    this.#endedAt = this.#startedAt;
    this.#finalWatermark = 0;
    this.#abortController(error);
    for (const c of this.#channels) c.closeAll();
    for (const dispose of this.#disposers) dispose();
    await Promise.allSettled([...this.#executors.map((e) => e.close()), ...this.#sourceEnds.map((end) => end())]);
    this.events.emit("run:end", { pipeline: this.pipeline, ok: false, durationMs: 0, error });
    this.events.clear();
    throw error;
  }

  /** Aborts when the run fails, is cancelled, or runs out of stop grace. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** `signal.aborted` without the signal's getter (weir's steps check it per item). */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts the run's signal; {@link PipelineRun.aborted} is true before its listeners run. */
  #abortController(reason: unknown): void {
    this.#aborted = true;
    this.#controller.abort(reason);
  }

  /** Ends the run with `error` (the first failure wins; nothing after completion). */
  fail(error: unknown): void {
    this.#abort(error);
  }

  /**
   * Records a dead letter (kept in the result up to `deadLetters.keep`, counted beyond) and
   * emits `stage:dead-letter`.
   */
  deadLetter(letter: DeadLetter, id: number = letter.index): void {
    // a flatMap child of a keyed run: its own key (any other item's derives from its index)
    if (id !== letter.index && this.#keys !== undefined) letter = { ...letter, key: itemKey(this.#keys, id) };
    this.#durable?.deadLetter(letter, Date.now(), letter.key);
    if (this.#deadLetters.length < this.#deadLetterKeep) this.#deadLetters.push(letter);
    else this.#deadLettersDropped++;
    if (this.events.has("stage:dead-letter")) this.events.emit("stage:dead-letter", letter);
  }

  /**
   * A step ended without failing the run. A source that failed stops the pipeline's other sources
   * (the run will reject with its error once what was read drained, so reading on is wasted).
   */
  #stepEnded(step: Step): void {
    if (!(step instanceof SourceStep) || step.failure === undefined || this.#failedSource !== undefined) return;
    this.#failedSource = this.#sources.find((s) => s.step === step);
    for (const s of this.#sources) if (s.step !== step) s.step.stop();
  }

  /** Fails the run (the first failure wins; nothing after completion or after a stop was cut short). */
  #abort(error: unknown): void {
    if (this.#failed || this.#abandoned !== undefined || this.#state === "completed") return;
    this.#failed = true;
    this.#error = error;
    this.#abortController(error);
    for (const c of this.#channels) c.closeAll();
  }

  /**
   * `stop()`'s grace ran out: counts what is still in the pipeline, then aborts it (every item's
   * `ctx.signal` aborts). Not a failure: the run resolves with `abandoned`.
   */
  #cutShort(graceMs: number): void {
    if (this.#failed || this.#abandoned !== undefined || this.#state !== "stopping") return;
    let held = 0;
    for (const c of this.#channels) held += c.size;
    for (const step of this.#steps) held += step.held();
    this.#abandoned = held;
    this.#abortController(
      new CancelledError(`pipeline "${this.pipeline}" (stop grace of ${graceMs} ms ran out; ${held} items abandoned)`),
    );
    for (const c of this.#channels) c.closeAll();
  }

  // ---- the Run interface ----

  /** Settles like the run: its result, or the error that ended it. */
  then<A = RunResult, B = never>(
    onFulfilled?: ((value: RunResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  /** The run's failure, if it fails. */
  catch<T = never>(onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<RunResult | T> {
    return this.#promise.catch(onRejected);
  }

  /** Runs `onFinally` once the run settled. */
  finally(onFinally?: (() => void) | null): Promise<RunResult> {
    return this.#promise.finally(onFinally);
  }

  /** Subscribes to run events; returns the unsubscribe function. */
  on<K extends keyof RunEvents>(type: K, handler: EventHandler<RunEvents[K]>, options?: SubscribeOptions): () => void {
    return this.events.on(type, handler, options);
  }

  /**
   * Stops pulling the source (at once, even while a read is pending: the source is closed), lets
   * what was pulled drain within `graceMs` (default {@link STOP_GRACE_MS}), then aborts what is
   * left and resolves with `abandoned` saying how much. Resolves like the run otherwise.
   * @throws InvalidOptionError when `graceMs` is not a non-negative number (or Infinity)
   */
  /** Stops the run with the default grace and waits until it settled; never throws (see {@link Run}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop().then(noop, noop);
  }

  stop(options: StopOptions = {}): Promise<RunResult> {
    const where = `pipeline "${this.pipeline}" stop()`;
    const o = plainObject(options, "options", where);
    knownKeys(o, ["graceMs"], "", where);
    const graceMs = optional(o.graceMs, STOP_GRACE_MS, (v) =>
      v === Infinity ? Infinity : nonNegativeNumber(v, "graceMs", where),
    );
    if (!this.#stopped && this.#state === "running") {
      this.#stopped = true;
      this.#state = "stopping";
      for (const s of this.#sources) s.step.stop();
      this.events.emit("run:stopping", { pipeline: this.pipeline, graceMs });
      if (Number.isFinite(graceMs)) {
        this.#graceTimer = this.clock.setTimer(() => this.#cutShort(graceMs), graceMs);
      }
    }
    return this.#promise;
  }

  /** An immutable view of the run now (also after it settled, and when it failed to set up). */
  snapshot(): RunSnapshot {
    const now = this.#endedAt ?? this.clock.now();
    const stages = this.#stageStats(now);
    return Object.freeze({
      pipeline: this.pipeline,
      state: this.#state,
      elapsedMs: now - this.#startedAt,
      sourceItems: this.#sourceItems(),
      sourceDone: this.#sources.every((s) => s.step.finished),
      lowWatermark: this.lowWatermark(),
      stages: Object.freeze(stages),
      deadLetters: this.#deadLetters.length + this.#deadLettersDropped,
      bottleneck: bottleneckStage(stages, now - this.#startedAt),
    });
  }

  /**
   * The smallest source index still inside the pipeline (or the source position when nothing is):
   * a scan of the bounded channels, slots, reorder windows and batches, so its cost is bounded by
   * the plan's capacities, not the input.
   */
  lowWatermark(): number {
    return this.#finalWatermark ?? this.#scanWatermark();
  }

  /** Calls `visit` with every source index still inside the pipeline (a durable checkpoint leaves them out). */
  forEachHeld(visit: (index: number) => void): void {
    for (const c of this.#channels) c.forEachSeq(visit);
    for (const s of this.#steps) s.forEachHeld(visit);
  }

  /**
   * {@link PipelineRun.forEachHeld}, and the ids of items on their way out of a step (a fused
   * tail's output, the items a fused flatMap is expanding): every id a flatMap child's key may
   * still be asked for.
   */
  #forEachLive(visit: (index: number) => void): void {
    this.forEachHeld(visit);
    for (const s of this.#steps) s.forEachPending?.(visit);
  }

  /** `keys` with a registry of the flatMap children's keys (a run with keys only). */
  #withChildren(keys: ItemKeys | undefined): ItemKeys | undefined {
    if (keys === undefined) return undefined;
    return {
      ...keys,
      children: new ChildKeys(
        (index) => itemKey(keys, index),
        (visit) => this.#forEachLive(visit),
      ),
    };
  }

  /** Items inside the pipeline now (channels and steps): a durable run's cheap sign of progress. */
  heldCount(): number {
    let n = 0;
    for (const c of this.#channels) n += c.size;
    for (const s of this.#steps) n += s.held();
    return n;
  }

  /** Items pulled from each source, in their numbering order. */
  sourcePositions(): number[] {
    return this.#sources.map((s) => s.step.position);
  }

  /** Items pulled from every source. */
  #sourceItems(): number {
    let n = 0;
    for (const s of this.#sources) n += s.step.position;
    return n;
  }

  /**
   * The smallest index a source may still hand on: the next index of a source still pulled; when
   * none is, every item pulled has an index below the largest next index.
   */
  #sourceFloor(): number {
    const sources = this.#sources;
    if (sources.length === 1) return sources[0]!.step.position;
    let pulled = Infinity;
    let last = 0;
    for (const s of sources) {
      const next = s.step.nextIndex;
      if (!s.step.finished && next < pulled) pulled = next;
      if (next > last) last = next;
    }
    return pulled === Infinity ? last : pulled;
  }

  /**
   * The low watermark; with `only`, leaving out what the other sources hold (a read they were
   * stopped in holds no item of `only`).
   */
  #scanWatermark(only?: SourceStep): number {
    let min = this.#sourceFloor();
    for (const c of this.#channels) min = Math.min(min, c.minSeq());
    for (const s of this.#steps)
      if (only === undefined || s === only || !(s instanceof SourceStep)) min = Math.min(min, s.minIndex());
    // a flatMap child's id is its source index plus a fraction (see ChildKeys)
    return Math.floor(min);
  }

  /** Per-stage stats; a pool stage colocated in a chain reports the chain's (its head's) counts. */
  #stageStats(now: number): StageStats[] {
    const own = this.#counters.map((c) => c.snapshot(now, now - this.#startedAt));
    return own.map((s, id) => {
      const head = this.#colocated.get(id);
      return head === undefined ? s : Object.freeze({ ...own[head]!, name: s.name, kind: s.kind });
    });
  }

  /** What a metrics sink reads at a scrape: the snapshot's stage stats and what only metrics need. */
  #metricsReading(): PipelineReading {
    const now = this.#endedAt ?? this.clock.now();
    const stats = this.#stageStats(now);
    const stages: StageReading[] = stats.map((s, id) => {
      const c = this.#counters[this.#colocated.get(id) ?? id]!;
      return {
        stats: s,
        failures: c.failures,
        queueCapacity: this.#counters[id]!.queueCapacity(),
        durations: c.latency,
        pool: this.#executorOf.get(this.#colocated.get(id) ?? id)?.poolStats?.(),
      };
    });
    return {
      kind: "pipeline",
      elapsedMs: now - this.#startedAt,
      mainLoopDelayMs: this.#mainLoopDelayMs ?? mainLoopDelayMs(),
      stages,
      itemLatency: this.#itemLatency?.histogram,
      checkpoint: this.#durable?.stats.reading(this.#itemLatency?.admittedEnd, Date.now()),
    };
  }

  #result(): RunResult {
    const now = this.#endedAt ?? this.clock.now();
    const stats: Record<string, StageStats> = {};
    for (const s of this.#stageStats(now)) stats[s.name] = s;
    return Object.freeze({
      pipeline: this.pipeline,
      stats: Object.freeze(stats),
      deadLetters: Object.freeze([...this.#deadLetters]),
      deadLettersDropped: this.#deadLettersDropped,
      durationMs: now - this.#startedAt,
      sourceItems: this.#sourceItems(),
      lowWatermark: this.lowWatermark(),
      stopped: this.#stopped,
      abandoned: this.#abandoned ?? 0,
    });
  }
}

function noop(): void {}

/** The durable options of a run, or undefined when it has no store. */
function durableOptions(options: RunOptions): DurableRunOptions | undefined {
  if (options.store === undefined) return undefined;
  return { store: options.store, runId: options.runId, resume: options.resume, force: options.force ?? false };
}
