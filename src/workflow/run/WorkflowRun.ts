import { TimerWheel } from "../../timer/TimerWheel.js";
import { CancelledError } from "../../errors/CancelledError.js";
import { TaskError } from "../../errors/TaskError.js";
import { WorkflowError } from "../../errors/WorkflowError.js";
import { EventBus, type EventHandler, type SubscribeOptions } from "../../events/EventBus.js";
import type { WorkflowSnapshot, WorkflowState } from "../../state/WorkflowSnapshot.js";
import type { Clock } from "../../time/Clock.js";
import { keepAlive } from "../../time/keepAlive.js";
import { addedTaskDefinition, addTask, type AddTarget } from "../lifecycle/addedTask.js";
import { AttemptRunner, type AttemptOutcomes } from "../attempt/AttemptRunner.js";
import { dependencyErrors, dependencyResults } from "../results/dependencyResults.js";
import type { RunGraph } from "./RunGraph.js";
import { seedRun } from "./seedRun.js";
import { skipDescendants } from "../lifecycle/skipDescendants.js";
import { TaskScheduler, type StartHost } from "../scheduling/TaskScheduler.js";
import type { TaskAttempt } from "../attempt/TaskAttempt.js";
import type { TaskGraph } from "../plan/TaskGraph.js";
import { FAILED, PENDING, RUNNING, type TaskTable } from "../results/TaskTable.js";
import type { WorkflowEvents } from "./WorkflowEvents.js";
import { workflowResult, type WorkflowResult } from "../results/WorkflowResult.js";
import type { FilledRunOptions } from "./WorkflowRunOptions.js";

/**
 * A running workflow. Await it for the {@link WorkflowResult} (it always resolves; check `ok`).
 * Scheduling starts on the next microtask, so `run.on(...)` right after `wf.run()` sees every event.
 *
 * A task becomes ready the moment its own dependencies are done (no level barriers); ready tasks
 * start by priority, then longest remaining path, under the run's concurrency cap. Every listener
 * the run added (on the caller's signal, on the run's bus) is removed when it ends, and the run
 * keeps the process alive from `wf.run()` until it settles (weir's own timers do not).
 *
 * This class owns the life cycle (what a task's end does to its dependents, how the run ends)
 * and wires the parts: {@link RunGraph} (its copy of the graph), {@link TaskTable} (statuses and
 * states), {@link TaskScheduler} (ready queue, slots), {@link AttemptRunner} (admission, calls,
 * timeouts, retries).
 *
 * @example
 * ```ts
 * const run = wf.run({ concurrency: 4, signal });
 * run.on("task:end", ({ task }) => console.log(task.name, task.status));
 * const timer = setInterval(() => render(progress(run.snapshot())), 250);
 * const result = await run;
 * ```
 */
export class WorkflowRun<R = Record<string, unknown>> implements Promise<WorkflowResult<R>> {
  /** The workflow's name. */
  readonly workflow: string;
  readonly [Symbol.toStringTag] = "WorkflowRun";
  /** The run's own bus (`run.on`), forwarding to the `events` option's bus. */
  readonly #bus: EventBus<WorkflowEvents>;
  readonly #clock: Clock;
  readonly #maxAdded: number;
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.cancel(this.#userSignal?.reason);
  /** Aborts when the run fails or is cancelled. */
  readonly #controller = new AbortController();
  readonly #promise: Promise<WorkflowResult<R>>;
  #resolve!: (result: WorkflowResult<R>) => void;
  /** Lets the process exit again; called once, when the run settles. */
  readonly #letGo: () => void;
  readonly #graph: RunGraph;
  readonly #table: TaskTable;
  readonly #loop: TaskScheduler;
  readonly #attempts: AttemptRunner;
  readonly #addTarget: AddTarget;
  /** Dependencies not yet done, per task. */
  readonly #remaining: number[];
  #added = 0;
  #state: WorkflowState = "running";
  readonly #startedAt: number;
  #endedAt: number | undefined;
  #firstFailure: TaskError | undefined;
  #error: unknown;

  /** @internal Made by `Workflow.run()`. */
  constructor(graph: TaskGraph, options: FilledRunOptions) {
    this.workflow = graph.workflow;
    this.#clock = options.clock;
    this.#maxAdded = options.maxAddedTasks;
    this.#bus = new EventBus<WorkflowEvents>({ forward: options.events, sender: this });
    this.#userSignal = options.signal;
    this.#startedAt = this.#clock.now();
    const seed = seedRun(graph, options.reuse); // throws for another workflow's snapshot
    // policies that keep time follow the run's clock (one on another time base throws here)
    for (const def of seed.graph.defs) def.admission?.bindClock?.(this.#clock);
    this.#graph = seed.graph;
    this.#table = seed.table;
    this.#remaining = seed.remaining;
    const starts: StartHost = {
      begin: (i) => this.#begin(i),
      resume: (i, n) => this.#attempts.start(i, n, this.#clock.now()),
    };
    const outcomes: AttemptOutcomes = {
      workflow: this.workflow,
      resultsOf: (i) => dependencyResults(this.#graph, this.#table, i),
      errorsOf: (i) => dependencyErrors(this.#graph, this.#table, i),
      addTask: (from, name, opts, fn) => this.#addTask(from, name, opts, fn),
      completed: (i, attempt, value) => this.#completed(i, attempt, value),
      failed: (i, attempt, error) => this.#failed(i, attempt, error),
    };
    const loop = (this.#loop = new TaskScheduler(this.#graph, starts, options.concurrency, options.yieldEvery));
    const parts = { graph: this.#graph, table: this.#table, loop, bus: this.#bus };
    // task timeouts and backoffs on one timer wheel: one system timer for any number of tasks
    const resolutionMs = options.timerResolutionMs;
    const timers = resolutionMs > 0 ? new TimerWheel({ clock: this.#clock, resolutionMs }) : this.#clock;
    this.#attempts = new AttemptRunner({
      ...parts,
      clock: this.#clock,
      timers,
      random: options.random,
      signal: this.#controller.signal,
      outcomes,
    });
    this.#addTarget = {
      ...parts,
      remaining: this.#remaining,
      skip: (i, because) => this.#skip(i, because),
      checkDone: () => this.#checkDone(),
    };
    this.#promise = new Promise<WorkflowResult<R>>((resolve) => {
      this.#resolve = resolve;
    });
    // weir's timers are unref'd: hold the process while the run is unsettled (a run waiting only
    // on a retry backoff must not let Node exit under the caller's await). Released in #finish.
    this.#letGo = keepAlive();
    queueMicrotask(() => this.#start());
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
    if (this.#state !== "running") return () => {};
    return this.#bus.on(type, handler, options);
  }

  /**
   * An immutable view of the run now. The same object while nothing changed; otherwise O(tasks
   * changed since the last snapshot): unchanged tasks are the same objects as before.
   */
  snapshot(): WorkflowSnapshot {
    return this.#table.snapshot(
      { workflow: this.workflow, state: this.#state, startedAt: this.#startedAt, endedAt: this.#endedAt },
      this.#graph.index,
    );
  }

  /**
   * @internal Trie nodes copied so far because a snapshot shared them: what snapshots have cost
   * the run (diagnostics; tests use it to prove the cost follows changes, not size).
   */
  get snapshotCopies(): number {
    return this.#table.copiedNodes;
  }

  /** Cancels the run, as its `signal` option aborting would. No-op once it ended. */
  cancel(reason?: unknown): void {
    this.#finish("cancelled", new CancelledError(`workflow "${this.workflow}"`, reason));
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

  // ── What the attempts and the start loop call ────────────────────────────────────────────────

  /** `ctx.add()` from attempt `from`: only while it is its task's current attempt. */
  #addTask(from: TaskAttempt, name: unknown, options: unknown, fn: unknown): void {
    const adder = this.#graph.defs[from.index]!.name;
    if (this.#state !== "running")
      throw new WorkflowError(this.workflow, String(name), "cannot be added: the run has ended");
    if (!this.#attempts.isCurrent(from)) {
      throw new WorkflowError(
        this.workflow,
        String(name),
        `cannot be added by "${adder}": its attempt ${from.attempt} has ended`,
      );
    }
    const { def, deps } = addedTaskDefinition(this.#graph, adder, this.#added, this.#maxAdded, name, options, fn);
    def.admission?.bindClock?.(this.#clock);
    this.#added++;
    addTask(this.#addTarget, adder, def, deps);
  }

  /** Starts task `i` (the start loop gave it its slot). */
  #begin(i: number): void {
    const now = this.#clock.now();
    this.#table.start(i, now);
    this.#attempts.start(i, 1, now);
  }

  #completed(i: number, attempt: number, value: unknown): void {
    this.#table.complete(i, attempt, value, this.#clock.now());
    this.#ended(i);
    this.#release(i);
  }

  /** The task's last attempt failed: apply its failure policy. */
  #failed(i: number, attempt: number, error: unknown): void {
    const t = this.#table;
    t.fail(i, attempt, error, this.#clock.now());
    this.#ended(i);
    const def = this.#graph.defs[i]!;
    const failure = new TaskError(this.workflow, def.name, error, attempt);
    this.#firstFailure ??= failure;
    if (def.onFailure === "fail-workflow") {
      this.#finish("failed", failure);
      return;
    }
    if (def.onFailure === "skip-dependents") skipDescendants(this.#graph, t, i, (d, because) => this.#skip(d, because));
    this.#release(i);
  }

  // ── Life cycle ───────────────────────────────────────────────────────────────────────────────

  #start(): void {
    if (this.#state !== "running") return;
    if (this.#userSignal?.aborted) {
      this.cancel(this.#userSignal.reason);
      return;
    }
    this.#userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    const total = this.#table.size;
    if (this.#bus.has("workflow:start"))
      this.#bus.emit("workflow:start", { workflow: this.workflow, at: this.#startedAt, tasks: total });
    for (let i = 0; i < total; i++)
      if (this.#table.code[i] === PENDING && this.#remaining[i] === 0) this.#loop.makeReady(i);
    this.#checkDone();
    this.#loop.pump();
  }

  /** After task `i` completed, or failed under "continue" / "skip-dependents": free its slot, wake dependents. */
  #release(i: number): void {
    this.#loop.release(i);
    const code = this.#table.code;
    if (code[i] !== FAILED || this.#graph.defs[i]!.onFailure === "continue") {
      for (const d of this.#graph.dependents[i]!) {
        if (code[d] === PENDING && --this.#remaining[d]! === 0) this.#loop.makeReady(d);
      }
    }
    this.#checkDone();
    this.#loop.pump();
  }

  #skip(i: number, because: string): void {
    this.#table.skip(i, because, this.#clock.now());
    this.#ended(i);
  }

  /** Counts a final status and reports it. */
  #ended(i: number): void {
    this.#table.finished++;
    if (this.#bus.has("task:end")) this.#bus.emit("task:end", { workflow: this.workflow, task: this.#table.state(i) });
  }

  #checkDone(): void {
    if (this.#state === "running" && this.#table.finished === this.#table.size) {
      this.#finish(this.#firstFailure === undefined ? "completed" : "failed", this.#firstFailure);
    }
  }

  /** Ends the run (first call wins): cancels what is unfinished, removes listeners, resolves. */
  #finish(state: Exclude<WorkflowState, "running">, error: unknown): void {
    if (this.#state !== "running") return;
    this.#state = state;
    this.#error = error;
    const now = this.#clock.now();
    const t = this.#table;
    const reason =
      state === "cancelled" || t.finished === t.size ? error : new CancelledError(`workflow "${this.workflow}"`, error);
    this.#loop.stop();
    const releaseAdmissions = this.#attempts.stopAll(reason);
    for (let i = 0; t.finished < t.size && i < t.size; i++) {
      if (t.code[i] !== PENDING && t.code[i] !== RUNNING) continue;
      t.cancel(i, reason, now);
      this.#ended(i);
    }
    this.#endedAt = now;
    t.version++;
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
    if (state !== "completed") this.#controller.abort(error);
    releaseAdmissions(); // after the abort: waiters for admission are gone, none takes what is freed
    const durationMs = now - this.#startedAt;
    if (this.#bus.has("workflow:end"))
      this.#bus.emit("workflow:end", { workflow: this.workflow, state, ok: state === "completed", durationMs, error });
    this.#bus.clear();
    this.#letGo();
    this.#resolve(workflowResult<R>(this.snapshot(), this.#error, durationMs));
  }
}
