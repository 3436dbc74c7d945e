import type { RunTrace } from "../../stats/RunTracer.js";
import { startTrace } from "../../stats/startTrace.js";
import { CancelledError } from "../../errors/CancelledError.js";
import { observeWorkflow } from "../../events/diagnostics.js";
import { EventBus, type EventHandler, type SubscribeOptions } from "../../events/EventBus.js";
import { knownKeys, nonNegativeNumber, optional, plainObject } from "../../options/validate.js";
import { STOP_GRACE_MS, type StopOptions } from "../../run/Run.js";
import type { FinalWorkflowState, WorkflowSnapshot, WorkflowState } from "../../state/WorkflowSnapshot.js";
import type { Clock, TimerHandle } from "../../time/Clock.js";
import { keepAlive } from "../../time/keepAlive.js";
import { TimerWheel } from "../../time/TimerWheel.js";
import { TaskLifecycle } from "../lifecycle/TaskLifecycle.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import type { TaskTable } from "../results/TaskTable.js";
import { workflowResult, type WorkflowResult } from "../results/WorkflowResult.js";
import type { RunGraph } from "../plan/RunGraph.js";
import { seedRun, type RunSeed } from "./seedRun.js";
import { reusePlan } from "./reusePlan.js";
import { rememberFingerprints } from "./snapshotFingerprints.js";
import { openDurableRun } from "../durable/openDurableRun.js";
import { storedPlan } from "../durable/storedPlan.js";
import type { TaskJournal } from "../durable/TaskJournal.js";
import type { TaskRecorder } from "../lifecycle/TaskRecorder.js";
import type { WorkflowEvents } from "../results/WorkflowEvents.js";
import type { FilledRunOptions } from "./WorkflowRunOptions.js";

/**
 * A running workflow. Await it for the {@link WorkflowResult}: it always resolves, because a
 * workflow's failures are per task (check `ok`); a pipeline run, whose items flow to one end,
 * rejects instead. Ending early: `stop({ graceMs })` lets running tasks finish (as a pipeline's
 * `stop()` drains), `cancel()` ends at once (as aborting the `signal` option does), and
 * `await using` cancels a run still going when its scope ends. Scheduling starts on the next
 * microtask, so `run.on(...)` right after `wf.run()` sees every event.
 *
 * The run is the scope around its tasks: it starts them, cancels them, says what happens (events,
 * snapshots) and resolves with the result; what happens to each task, from ready to settled, is
 * the `TaskLifecycle`'s. Every listener the run added (on the caller's signal, on the run's
 * bus) is removed when it ends, and the run keeps the process alive from `wf.run()` until it
 * settles (weir's own timers do not).
 *
 * @example
 * ```ts
 * const run = wf.run({ concurrency: 4, signal });
 * run.on("task:end", ({ task }) => console.log(task.name, task.status));
 * const timer = setInterval(() => render(progress(run.snapshot())), 250);
 * const result = await run;
 * ```
 */
export class WorkflowRun<R = Record<string, unknown>> implements Promise<WorkflowResult<R>>, AsyncDisposable {
  /** The workflow's name. */
  readonly workflow: string;
  readonly [Symbol.toStringTag] = "WorkflowRun";
  /** The run's own bus (`run.on`), forwarding to the `events` option's bus. */
  readonly #bus: EventBus<WorkflowEvents>;
  readonly #clock: Clock;
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.cancel(this.#userSignal?.reason);
  /** Aborts when the run fails or is cancelled. */
  readonly #controller = new AbortController();
  readonly #promise: Promise<WorkflowResult<R>>;
  #resolve!: (result: WorkflowResult<R>) => void;
  /** Lets the process exit again; called once, when the run settles. */
  readonly #letGo: () => void;
  /**
   * The run's graph and task table, for snapshots (the lifecycle changes them). A durable run
   * replaces them (and the lifecycle) once its store said what a resume takes over.
   */
  #graph: RunGraph;
  #table: TaskTable;
  #tasks: TaskLifecycle;
  readonly #options: FilledRunOptions;
  readonly #timers: Clock | TimerWheel;
  /** A durable run's journal, once its store run is open. */
  #journal: TaskJournal | undefined;
  readonly #fingerprintOf = (task: string): string | undefined => {
    const i = this.#graph.index.get(task);
    return i === undefined ? undefined : this.#graph.defs[i]!.fingerprint;
  };
  #state: WorkflowState = "running";
  readonly #startedAt: number;
  #endedAt: number | undefined;
  /** Ends the `metrics` sink's reading of this run. */
  readonly #detachMetrics: (() => void) | undefined;
  /** The run's trace (`tracer` option), ended with the run. */
  #trace: RunTrace | undefined;
  /** Ends the run when `stop()`'s grace runs out. */
  #graceTimer: TimerHandle | undefined;

  /** @internal Made by `Workflow.run()`. */
  constructor(graph: TaskGraph, options: FilledRunOptions) {
    this.workflow = graph.workflow;
    this.#clock = options.clock;
    this.#bus = new EventBus<WorkflowEvents>({ forward: options.events, sender: this });
    observeWorkflow(this, this.#bus);
    this.#userSignal = options.signal;
    this.#startedAt = this.#clock.now();
    this.#options = options;
    // throws for another workflow's snapshot, or one whose completed tasks changed since (unless forced)
    const seed = seedRun(graph, options.reuse && reusePlan(graph, options.reuse, options.force));
    this.#graph = seed.graph;
    this.#table = seed.table;
    // task timeouts and backoffs on one timer wheel: one system timer for any number of tasks
    const resolutionMs = options.timerResolutionMs;
    this.#timers = resolutionMs > 0 ? new TimerWheel({ clock: this.#clock, resolutionMs }) : this.#clock;
    this.#tasks = this.#lifecycle(seed, undefined);
    this.#promise = new Promise<WorkflowResult<R>>((resolve) => {
      this.#resolve = resolve;
    });
    // weir's timers are unref'd: hold the process while the run is unsettled (a run waiting only
    // on a retry backoff must not let Node exit under the caller's await). Released in #finish.
    this.#letGo = keepAlive();
    this.#detachMetrics = options.metrics?.attach({
      kind: "workflow",
      name: this.workflow,
      read: () => ({
        kind: "workflow",
        elapsedMs: (this.#endedAt ?? this.#clock.now()) - this.#startedAt,
        tasks: [...this.snapshot().tasks()],
      }),
    });
    const trace = startTrace(options.tracer, { kind: "workflow", name: this.workflow });
    if (trace !== undefined) {
      this.#trace = trace;
      this.#bus.on("task:end", ({ task }) => trace.task(task, this.#clock.now()));
    }
    if (options.durable === undefined) queueMicrotask(() => this.#start());
    else void this.#startDurable(graph);
  }

  /** The durable run's store id, once its store run is open (undefined for a run without `store`). */
  get runId(): string | undefined {
    return this.#journal?.handle.id;
  }

  /** Aborts when the run fails (a task under `onFailure: "fail-workflow"`) or is cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Subscribes to the run's events; returns the unsubscribe function. Every subscription ends
   * when the run ends (after `workflow:end`).
   */
  on<K extends keyof WorkflowEvents>(
    type: K,
    handler: EventHandler<WorkflowEvents[K]>,
    options?: SubscribeOptions,
  ): () => void {
    if (this.#endedAt !== undefined) return () => {};
    return this.#bus.on(type, handler, options);
  }

  /**
   * An immutable view of the run now. The same object while nothing changed; otherwise O(tasks
   * changed since the last snapshot): unchanged tasks are the same objects as before.
   */
  snapshot(): WorkflowSnapshot {
    const snapshot = this.#table.snapshot(
      { workflow: this.workflow, state: this.#state, startedAt: this.#startedAt, endedAt: this.#endedAt },
      this.#graph.index,
    );
    rememberFingerprints(snapshot, this.#fingerprintOf); // what a later run's reuse compares
    return snapshot;
  }

  /**
   * @internal Trie nodes copied so far because a snapshot shared them: what snapshots have cost
   * the run (diagnostics; tests use it to prove the cost follows changes, not size).
   */
  get snapshotCopies(): number {
    return this.#table.copiedNodes;
  }

  /**
   * Cancels the run now, as its `signal` option aborting would: running tasks' `ctx.signal`
   * aborts, every unfinished task is `cancelled`, and the run resolves with state `cancelled`.
   * No-op once it ended.
   */
  cancel(reason?: unknown): void {
    this.#finish("cancelled", new CancelledError(`workflow "${this.workflow}"`, reason));
  }

  /**
   * Stops the run gently, as `stop()` stops a pipeline: no task starts any more (pending ones
   * never will); tasks already running go on, retries included, for up to `graceMs` (default
   * 25 s, {@link STOP_GRACE_MS}; Infinity waits for them), then what still runs is cancelled.
   * The run ends once no task runs. Resolves like the run, with `stopped: true` and state
   * `cancelled` when some task did not get to end (else `completed` or `failed`). Emits
   * `workflow:stopping`; the snapshot's state is `stopping` meanwhile. A second call, or one
   * after the run ended, changes nothing and returns the same promise.
   * @throws InvalidOptionError when `graceMs` is not a non-negative number (or Infinity)
   */
  stop(options: StopOptions = {}): Promise<WorkflowResult<R>> {
    const where = `workflow "${this.workflow}" stop()`;
    const o = plainObject(options, "options", where);
    knownKeys(o, ["graceMs"], "", where);
    const graceMs = optional(o.graceMs, STOP_GRACE_MS, (v) =>
      v === Infinity ? Infinity : nonNegativeNumber(v, "graceMs", where),
    );
    if (this.#state !== "running") return this.#promise;
    this.#state = "stopping";
    this.#table.version++;
    if (this.#bus.has("workflow:stopping")) this.#bus.emit("workflow:stopping", { workflow: this.workflow, graceMs });
    if (Number.isFinite(graceMs)) {
      const ranOut = `workflow "${this.workflow}" (stop grace of ${graceMs} ms ran out)`;
      this.#graceTimer = this.#clock.setTimer(() => this.#finish("cancelled", new CancelledError(ranOut)), graceMs);
    }
    this.#tasks.stopStarting(new CancelledError(`workflow "${this.workflow}" (stopped before every task ran)`));
    return this.#promise;
  }

  /**
   * For `await using run = wf.run()`: when the scope ends, a run still going is cancelled
   * ({@link WorkflowRun.cancel}), and the scope waits until it settled. For a graceful end, await
   * `run.stop()` before the scope ends.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel(new Error("its scope ended (await using)"));
    await this.#promise;
  }

  then<A = WorkflowResult<R>, B = never>(
    onFulfilled?: ((value: WorkflowResult<R>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<WorkflowResult<R> | B> {
    return this.#promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<WorkflowResult<R>> {
    return this.#promise.finally(onFinally);
  }

  #lifecycle(seed: RunSeed, recorder: TaskRecorder | undefined): TaskLifecycle {
    const options = this.#options;
    return new TaskLifecycle({
      ...seed,
      bus: this.#bus,
      clock: this.#clock,
      timers: this.#timers,
      random: options.random,
      signal: this.#controller.signal,
      concurrency: options.concurrency,
      yieldEvery: options.yieldEvery,
      maxAddedTasks: options.maxAddedTasks,
      end: (state, error) => this.#finish(state, error),
      recorder,
    });
  }

  /**
   * A durable run opens its store run first (a new one, or the one it resumes: what the store
   * held decides which tasks start completed), then starts. A store that refuses (a changed
   * definition, a live owner, a full disk) ends the run `failed` with its error.
   */
  async #startDurable(graph: TaskGraph): Promise<void> {
    const options = this.#options;
    let opened;
    try {
      opened = await openDurableRun(graph, options.durable!, options.force);
    } catch (error) {
      this.#finish("failed", error);
      return;
    }
    const { journal, stored } = opened;
    if (this.#endedAt !== undefined) {
      // cancelled while the store opened: leave the run resumable
      await journal.handle.finish("running").catch(() => {});
      return;
    }
    this.#journal = journal;
    if (stored !== undefined) {
      const seed = seedRun(graph, storedPlan(graph, stored));
      this.#graph = seed.graph;
      this.#table = seed.table;
      this.#tasks = this.#lifecycle(seed, journal);
    } else {
      this.#tasks = this.#lifecycle(
        { graph: this.#graph, table: this.#table, remaining: this.#remainingNow() },
        journal,
      );
      // results taken over from `reuse` belong to this run too
      for (let i = 0; i < this.#table.size; i++) {
        const t = this.#table.state(i);
        if (t.status === "completed") journal.handle.recordTaskResult(t.name, t.result, { attempts: t.attempts });
      }
    }
    journal.handle.onFailure((error) => this.#finish("failed", error));
    this.#start();
  }

  /** Dependencies not yet completed, per task of the current table (a fresh seed's count). */
  #remainingNow(): number[] {
    const graph = this.#graph;
    return graph.deps.map((deps) => deps.filter((j) => this.#table.state(j).status !== "completed").length);
  }

  #start(): void {
    if (this.#endedAt !== undefined) return;
    if (this.#userSignal?.aborted) {
      this.cancel(this.#userSignal.reason);
      return;
    }
    this.#userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    if (this.#bus.has("workflow:start"))
      this.#bus.emit("workflow:start", { workflow: this.workflow, at: this.#startedAt, tasks: this.#table.size });
    this.#tasks.start();
  }

  /** Ends the run (first call wins): cancels what is unfinished, removes listeners, resolves. */
  #finish(state: FinalWorkflowState, error: unknown): void {
    if (this.#endedAt !== undefined) return;
    const now = this.#clock.now();
    const stopped = this.#state === "stopping";
    this.#graceTimer?.cancel();
    this.#state = state;
    this.#endedAt = now;
    const t = this.#table;
    const reason =
      state === "cancelled" || t.finished === t.size ? error : new CancelledError(`workflow "${this.workflow}"`, error);
    const releaseAdmissions = this.#tasks.stop(reason, now);
    t.version++;
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
    if (state !== "completed") this.#controller.abort(error);
    releaseAdmissions(); // after the abort: waiters for admission are gone, none takes what is freed
    const durationMs = now - this.#startedAt;
    if (this.#bus.has("workflow:end"))
      this.#bus.emit("workflow:end", { workflow: this.workflow, state, ok: state === "completed", durationMs, error });
    this.#bus.clear();
    this.#detachMetrics?.();
    this.#trace?.end(state === "completed", error);
    const result = workflowResult<R>(this.snapshot(), error, durationMs, stopped);
    const journal = this.#journal;
    if (journal === undefined) {
      this.#letGo();
      this.#resolve(result);
      return;
    }
    // the run's row says how it ended before the caller hears it (a store that fails here leaves it resumable)
    void journal.handle
      .finish(state, state === "completed" ? undefined : error)
      .catch(() => {})
      .finally(() => {
        this.#letGo();
        this.#resolve(result);
      });
  }
}
