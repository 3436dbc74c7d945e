import { CancelledError } from "../errors/CancelledError.js";
import { CycleError } from "../errors/CycleError.js";
import { TaskError } from "../errors/TaskError.js";
import { TimeoutError } from "../errors/TimeoutError.js";
import { WorkflowError } from "../errors/WorkflowError.js";
import { EventBus, type EventHandler, type SubscribeOptions } from "../events/EventBus.js";
import type { Executor } from "../executor/Executor.js";
import { backoffDelay, shouldRetry } from "../policy/retry.js";
import { nextTaskState, pendingTask, type TaskState, type TaskStatus } from "../state/TaskState.js";
import { VectorBuilder } from "../state/VectorBuilder.js";
import { WorkflowSnapshot, type WorkflowState } from "../state/WorkflowSnapshot.js";
import type { Clock, TimerHandle } from "../time/Clock.js";
import { TaskAttempt, type AttemptHost } from "./TaskAttempt.js";
import { taskDefinition, type TaskDefinition } from "./TaskDefinition.js";
import type { TaskGraph } from "./TaskGraph.js";
import { ReadyQueue } from "./ReadyQueue.js";
import { reusePlan } from "./reusePlan.js";
import type { WorkflowEvents } from "./WorkflowEvents.js";
import type { WorkflowResult } from "./WorkflowResult.js";
import type { FilledRunOptions } from "./WorkflowRunOptions.js";

// Status codes, kept in a plain array for the hot path; `statusName` maps them to TaskStatus.
const PENDING = 0;
const RUNNING = 1;
const COMPLETED = 2;
const FAILED = 3;
const SKIPPED = 4;
const CANCELLED = 5;

/** Placeholder function of a task carried over from an earlier run: it never runs. */
const carriedFn = (): never => {
  throw new Error("internal: a carried-over task ran");
};

/**
 * A running workflow. Await it for the {@link WorkflowResult} (it always resolves; check `ok`).
 * Scheduling starts on the next microtask, so `run.on(...)` right after `wf.run()` sees every event.
 *
 * A task becomes ready the moment its own dependencies are done (no level barriers); ready tasks
 * start by priority, then longest remaining path, under the run's concurrency cap. Every listener
 * the run added (on the caller's signal, on the run's bus) is removed when it ends.
 *
 * @example
 * ```ts
 * const run = wf.run({ concurrency: 4, signal });
 * run.on("task:end", ({ task }) => console.log(task.name, task.status));
 * const timer = setInterval(() => render(progress(run.snapshot())), 250);
 * const result = await run;
 * ```
 */
export class WorkflowRun<R = Record<string, unknown>> implements Promise<WorkflowResult<R>>, AttemptHost {
  /** The workflow's name. */
  readonly workflow: string;
  readonly [Symbol.toStringTag] = "WorkflowRun";
  readonly #bus = new EventBus<WorkflowEvents>();
  readonly #forward: EventBus<WorkflowEvents> | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #concurrency: number;
  readonly #yieldEvery: number;
  readonly #maxAdded: number;
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.cancel(this.#userSignal?.reason);
  /** Aborts when the run fails or is cancelled. */
  readonly #controller = new AbortController();
  readonly #promise: Promise<WorkflowResult<R>>;
  #resolve!: (result: WorkflowResult<R>) => void;

  // The graph: the compiled one's arrays, copied so that ctx.add() can extend them.
  readonly #defs: TaskDefinition[];
  readonly #deps: (readonly number[])[];
  readonly #dependents: (readonly number[])[];
  readonly #priority: number[];
  readonly #rank: number[];
  /** Name → index; the compiled graph's map until the first ctx.add() copies it. */
  #index: ReadonlyMap<string, number>;
  #ownIndex = false;

  // Per-task run state, by index.
  readonly #code: number[];
  /** Dependencies not yet done. */
  readonly #remaining: number[];
  readonly #values: unknown[];
  readonly #errors: unknown[];
  /** The current attempt of each running task (undefined between attempts). */
  readonly #current: (TaskAttempt | undefined)[] = [];
  readonly #executors = new Map<number, Executor>();
  readonly #retryTimers = new Map<number, TimerHandle>();
  readonly #states: VectorBuilder<TaskState>;
  readonly #counts: Record<TaskStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 };

  // Scheduling.
  readonly #ready: ReadyQueue;
  readonly #inline: number[] = [];
  #inlineHead = 0;
  /** Slots held by async tasks (inline tasks take none). */
  #active = 0;
  #pumping = false;
  #yieldPending = false;
  #total: number;
  #finished = 0;
  #added = 0;

  #state: WorkflowState = "running";
  #version = 0;
  #snapshot: WorkflowSnapshot | undefined;
  readonly #startedAt: number;
  #endedAt: number | undefined;
  #firstFailure: TaskError | undefined;
  #error: unknown;

  /** @internal Made by `Workflow.run()`. */
  constructor(graph: TaskGraph, options: FilledRunOptions) {
    this.workflow = graph.workflow;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#concurrency = options.concurrency;
    this.#yieldEvery = options.yieldEvery;
    this.#maxAdded = options.maxAddedTasks;
    this.#forward = options.events;
    this.#userSignal = options.signal;
    this.#startedAt = this.#clock.now();
    const n = graph.size;
    this.#defs = graph.defs.slice();
    this.#deps = graph.deps.slice();
    this.#dependents = graph.dependents.slice();
    this.#priority = this.#defs.map((d) => d.priority);
    this.#rank = graph.rank.slice();
    this.#index = graph.index;
    this.#total = n;
    this.#code = new Array<number>(n).fill(PENDING);
    this.#values = new Array<unknown>(n);
    this.#errors = new Array<unknown>(n);
    this.#ready = new ReadyQueue(this.#priority, this.#rank);
    const states = new Array<TaskState>(n);
    for (let i = 0; i < n; i++) states[i] = pendingTask(this.#defs[i]!.name);
    this.#counts.pending = n;
    const plan = options.reuse === undefined ? undefined : reusePlan(graph, options.reuse);
    if (plan !== undefined) {
      for (let i = 0; i < n; i++) {
        const before = plan.reused[i];
        if (before === undefined) continue;
        states[i] = nextTaskState(states[i]!, "completed", 0, before.result, undefined, undefined, undefined, undefined, true);
        this.#reusedAt(i, before.result);
      }
    }
    this.#states = VectorBuilder.from(states);
    if (plan !== undefined) for (const t of plan.carried) this.#carry(t);
    this.#remaining = this.#deps.map((d) => d.length);
    for (let i = 0; i < this.#total; i++) {
      if (this.#code[i] !== COMPLETED) continue;
      for (const d of this.#dependents[i]!) this.#remaining[d]!--;
    }
    this.#promise = new Promise<WorkflowResult<R>>((resolve) => {
      this.#resolve = resolve;
    });
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
  on<K extends keyof WorkflowEvents>(type: K, handler: EventHandler<WorkflowEvents[K]>, options?: SubscribeOptions): () => void {
    if (this.#state !== "running") return () => {};
    return this.#bus.on(type, handler, options);
  }

  /**
   * An immutable view of the run now. The same object while nothing changed; otherwise O(tasks
   * changed since the last snapshot): unchanged tasks are the same objects as before.
   */
  snapshot(): WorkflowSnapshot {
    const s = this.#snapshot;
    if (s !== undefined && s.version === this.#version) return s;
    const next = new WorkflowSnapshot(
      { workflow: this.workflow, state: this.#state, version: this.#version, counts: this.#counts, startedAt: this.#startedAt, endedAt: this.#endedAt },
      this.#states.freeze(),
      this.#index,
    );
    this.#snapshot = next;
    return next;
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

  // ── AttemptHost ──────────────────────────────────────────────────────────────────────────────

  /** @internal */
  resultsOf(index: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const j of this.#deps[index]!) out[this.#defs[j]!.name] = this.#values[j];
    return out;
  }

  /** @internal */
  errorsOf(index: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const j of this.#deps[index]!) if (this.#code[j] === FAILED) out[this.#defs[j]!.name] = this.#errors[j];
    return out;
  }

  /** @internal */
  addTask(from: number, name: unknown, options: unknown, fn: unknown): void {
    const adder = this.#defs[from]!.name;
    if (this.#state !== "running") throw new WorkflowError(this.workflow, String(name), "cannot be added: the run has ended");
    const def = taskDefinition(this.workflow, name, options, fn);
    if (this.#index.has(def.name)) {
      throw new WorkflowError(this.workflow, def.name, `added by "${adder}": a task with this name exists`, "WEIR_DUPLICATE_NAME");
    }
    if (def.after.includes(def.name)) throw new CycleError([def.name, def.name], "dependency");
    const deps = def.after.map((d) => {
      const j = this.#index.get(d);
      if (j === undefined) throw new WorkflowError(this.workflow, def.name, `added by "${adder}": depends on unknown task "${d}"`);
      return j;
    });
    if (this.#added >= this.#maxAdded) {
      throw new WorkflowError(this.workflow, def.name, `added by "${adder}": the run already added maxAddedTasks (${this.#maxAdded}) tasks`);
    }
    this.#added++;
    const i = this.#append(def, deps, pendingTask(def.name, adder));
    if (this.#wants("task:added")) this.#send("task:added", { workflow: this.workflow, task: def.name, addedBy: adder, after: def.after });
    let remaining = 0;
    let because: string | undefined;
    for (const j of deps) {
      const code = this.#code[j]!;
      if (code === PENDING || code === RUNNING) remaining++;
      else if (code === FAILED && this.#defs[j]!.onFailure !== "continue") because ??= this.#defs[j]!.name;
      else if (code === SKIPPED || code === CANCELLED) because ??= this.#states.get(j)!.skippedBecause ?? this.#defs[j]!.name;
    }
    this.#remaining[i] = remaining;
    if (because !== undefined) {
      this.#skip(i, because);
      this.#checkDone();
    } else if (remaining === 0) {
      this.#makeReady(i);
      this.#pump();
    }
  }

  // ── Life cycle ───────────────────────────────────────────────────────────────────────────────

  #start(): void {
    if (this.#state !== "running") return;
    if (this.#userSignal?.aborted) {
      this.cancel(this.#userSignal.reason);
      return;
    }
    this.#userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
    if (this.#wants("workflow:start")) this.#send("workflow:start", { workflow: this.workflow, at: this.#startedAt, tasks: this.#total });
    for (let i = 0; i < this.#total; i++) if (this.#code[i] === PENDING && this.#remaining[i] === 0) this.#makeReady(i);
    this.#checkDone();
    this.#pump();
  }

  #makeReady(i: number): void {
    if (this.#defs[i]!.context === "inline") this.#inline.push(i);
    else this.#ready.push(i);
  }

  /** Starts ready tasks while slots are free; re-entrant calls return at once (the loop goes on). */
  #pump(): void {
    if (this.#pumping || this.#yieldPending || this.#state !== "running") return;
    this.#pumping = true;
    let budget = this.#yieldEvery;
    try {
      while (this.#state === "running") {
        let i: number | undefined;
        if (this.#inlineHead < this.#inline.length) {
          i = this.#inline[this.#inlineHead++]!;
          if (this.#inlineHead === this.#inline.length) this.#inline.length = this.#inlineHead = 0;
        } else if (this.#active < this.#concurrency && (i = this.#ready.pop()) !== undefined) {
          this.#active++;
        } else break;
        this.#begin(i);
        if (--budget === 0) {
          this.#yieldPending = true;
          setImmediate(() => {
            this.#yieldPending = false;
            this.#pump();
          });
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #begin(i: number): void {
    const now = this.#clock.now();
    this.#code[i] = RUNNING;
    this.#set(i, nextTaskState(this.#states.get(i)!, "running", 1, undefined, undefined, now, undefined));
    this.#attempt(i, 1, now);
  }

  #attempt(i: number, n: number, now: number): void {
    const def = this.#defs[i]!;
    const a = new TaskAttempt(this, i, def.name, n);
    this.#current[i] = a;
    if (n > 1) {
      const prev = this.#states.get(i)!;
      this.#set(i, nextTaskState(prev, "running", n, undefined, undefined, prev.startedAt, undefined));
    }
    if (this.#wants("task:start")) this.#send("task:start", { workflow: this.workflow, task: def.name, attempt: n, at: now });
    const timeoutMs = def.timeoutMs;
    if (timeoutMs !== undefined) a.timer = this.#clock.setTimer(() => this.#timedOut(a, timeoutMs), timeoutMs);
    if (def.executor !== undefined) {
      this.#execute(a, def);
      return;
    }
    let out: unknown;
    try {
      out = def.fn(a);
    } catch (error) {
      this.#attemptFailed(a, error);
      return;
    }
    if (out !== null && (typeof out === "object" || typeof out === "function") && typeof (out as PromiseLike<unknown>).then === "function") {
      (out as PromiseLike<unknown>).then(
        (value) => this.#attemptDone(a, value),
        (error: unknown) => this.#attemptFailed(a, error),
      );
    } else {
      this.#attemptDone(a, out);
    }
  }

  #execute(a: TaskAttempt, def: TaskDefinition): void {
    try {
      let executor = this.#executors.get(a.index);
      if (executor === undefined) {
        executor = def.executor!({ workflow: this.workflow, task: def.name, context: def.context });
        this.#executors.set(a.index, executor);
      }
      executor.execute(
        { item: this.resultsOf(a.index), index: a.index, attempt: a.attempt, signal: a.signal },
        { resolve: (value) => this.#attemptDone(a, value), reject: (error) => this.#attemptFailed(a, error) },
      );
    } catch (error) {
      this.#attemptFailed(a, error);
    }
  }

  #timedOut(a: TaskAttempt, timeoutMs: number): void {
    if (this.#current[a.index] !== a) return;
    const error = new TimeoutError(`workflow "${this.workflow}": task "${a.task}"`, timeoutMs);
    a.abort(error);
    this.#attemptFailed(a, error);
  }

  #attemptDone(a: TaskAttempt, value: unknown): void {
    const i = a.index;
    if (this.#current[i] !== a) return; // stale: timed out, or the run ended
    a.timer?.cancel();
    this.#current[i] = undefined;
    this.#code[i] = COMPLETED;
    this.#values[i] = value;
    const prev = this.#states.get(i)!;
    this.#set(i, nextTaskState(prev, "completed", a.attempt, value, undefined, prev.startedAt, this.#clock.now()));
    this.#ended(i);
    this.#release(i);
  }

  #attemptFailed(a: TaskAttempt, error: unknown): void {
    const i = a.index;
    if (this.#current[i] !== a) return;
    a.timer?.cancel();
    this.#current[i] = undefined;
    const def = this.#defs[i]!;
    if (shouldRetry(def.retry, error, a.attempt)) {
      const delayMs = backoffDelay(def.retry, a.attempt, this.#random);
      if (this.#wants("task:retry")) this.#send("task:retry", { workflow: this.workflow, task: def.name, attempt: a.attempt + 1, delayMs, error });
      this.#retryTimers.set(
        i,
        this.#clock.setTimer(() => {
          this.#retryTimers.delete(i);
          if (this.#state === "running") this.#attempt(i, a.attempt + 1, this.#clock.now());
        }, delayMs),
      );
      return;
    }
    this.#code[i] = FAILED;
    this.#errors[i] = error;
    const prev = this.#states.get(i)!;
    this.#set(i, nextTaskState(prev, "failed", a.attempt, undefined, error, prev.startedAt, this.#clock.now()));
    this.#ended(i);
    const failure = new TaskError(this.workflow, def.name, error, a.attempt);
    this.#firstFailure ??= failure;
    if (def.onFailure === "fail-workflow") {
      this.#finish("failed", failure);
      return;
    }
    if (def.onFailure === "skip-dependents") this.#skipDescendants(i);
    this.#release(i);
  }

  /** After task `i` completed, or failed under "continue" / "skip-dependents": free its slot, wake dependents. */
  #release(i: number): void {
    if (this.#defs[i]!.context !== "inline") this.#active--;
    if (this.#code[i] !== FAILED || this.#defs[i]!.onFailure === "continue") {
      for (const d of this.#dependents[i]!) {
        if (this.#code[d] === PENDING && --this.#remaining[d]! === 0) this.#makeReady(d);
      }
    }
    this.#checkDone();
    this.#pump();
  }

  #skipDescendants(root: number): void {
    const because = this.#defs[root]!.name;
    const stack = [...this.#dependents[root]!];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (this.#code[d] !== PENDING) continue;
      this.#skip(d, because);
      for (const e of this.#dependents[d]!) stack.push(e);
    }
  }

  #skip(i: number, because: string): void {
    this.#code[i] = SKIPPED;
    this.#set(i, nextTaskState(this.#states.get(i)!, "skipped", 0, undefined, undefined, undefined, this.#clock.now(), because));
    this.#ended(i);
  }

  /** Counts a final status and reports it. */
  #ended(i: number): void {
    this.#finished++;
    if (this.#wants("task:end")) this.#send("task:end", { workflow: this.workflow, task: this.#states.get(i)! });
  }

  #checkDone(): void {
    if (this.#state === "running" && this.#finished === this.#total) {
      this.#finish(this.#firstFailure === undefined ? "completed" : "failed", this.#firstFailure);
    }
  }

  /** Ends the run (first call wins): cancels what is unfinished, removes listeners, resolves. */
  #finish(state: Exclude<WorkflowState, "running">, error: unknown): void {
    if (this.#state !== "running") return;
    this.#state = state;
    this.#error = error;
    const now = this.#clock.now();
    if (this.#finished < this.#total) {
      const reason = state === "cancelled" ? error : new CancelledError(`workflow "${this.workflow}"`, error);
      for (let i = 0; i < this.#total; i++) {
        const code = this.#code[i]!;
        if (code !== PENDING && code !== RUNNING) continue;
        this.#current[i]?.abort(reason);
        this.#current[i] = undefined;
        this.#code[i] = CANCELLED;
        const prev = this.#states.get(i)!;
        this.#set(i, nextTaskState(prev, "cancelled", prev.attempts, undefined, reason, prev.startedAt, code === RUNNING ? now : undefined));
        this.#ended(i);
      }
    }
    for (const t of this.#retryTimers.values()) t.cancel();
    this.#retryTimers.clear();
    this.#ready.clear();
    this.#inline.length = this.#inlineHead = 0;
    this.#endedAt = now;
    this.#version++;
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
    if (state !== "completed") this.#controller.abort(error);
    for (const executor of this.#executors.values()) void executor.close().catch(() => undefined);
    this.#executors.clear();
    const durationMs = now - this.#startedAt;
    if (this.#wants("workflow:end")) this.#send("workflow:end", { workflow: this.workflow, state, ok: state === "completed", durationMs, error });
    this.#bus.clear();
    this.#resolve(this.#result(state, durationMs));
  }

  #result(state: Exclude<WorkflowState, "running">, durationMs: number): WorkflowResult<R> {
    const snapshot = this.snapshot();
    const results: Record<string, unknown> = {};
    const tasks: Record<string, TaskState> = {};
    for (const t of snapshot.tasks()) {
      tasks[t.name] = t;
      if (t.status === "completed") results[t.name] = t.result;
    }
    return Object.freeze({
      workflow: this.workflow,
      state,
      ok: state === "completed",
      error: this.#error,
      results: Object.freeze(results) as WorkflowResult<R>["results"],
      tasks: Object.freeze(tasks) as WorkflowResult<R>["tasks"],
      counts: snapshot.counts,
      startedAt: this.#startedAt,
      endedAt: this.#endedAt!,
      durationMs,
      snapshot,
    });
  }

  // ── Bookkeeping ──────────────────────────────────────────────────────────────────────────────

  /** Replaces task `i`'s state, keeping the counts. */
  #set(i: number, next: TaskState): void {
    const prev = this.#states.get(i)!;
    this.#counts[prev.status]--;
    this.#counts[next.status]++;
    this.#states.set(i, next);
    this.#version++;
  }

  /** Marks task `i` reused (during construction, before the state vector exists). */
  #reusedAt(i: number, result: unknown): void {
    this.#code[i] = COMPLETED;
    this.#values[i] = result;
    this.#counts.pending--;
    this.#counts.completed++;
    this.#finished++;
  }

  /** Appends a task to the run; returns its index. */
  #append(def: TaskDefinition, deps: readonly number[], state: TaskState): number {
    const i = this.#total++;
    if (!this.#ownIndex) {
      this.#index = new Map(this.#index);
      this.#ownIndex = true;
    }
    (this.#index as Map<string, number>).set(def.name, i);
    this.#defs.push(def);
    this.#deps.push(deps);
    this.#dependents.push([]);
    for (const j of deps) this.#dependents[j] = [...this.#dependents[j]!, i];
    this.#priority.push(def.priority);
    this.#rank.push(1);
    this.#code.push(PENDING);
    this.#values.push(undefined);
    this.#errors.push(undefined);
    this.#states.push(state);
    this.#counts[state.status]++;
    this.#version++;
    return i;
  }

  /** Takes over a completed dynamic task of an earlier run, as it was. */
  #carry(before: TaskState): void {
    if (this.#index.has(before.name)) return;
    const def = taskDefinition(this.workflow, before.name, {}, carriedFn);
    const i = this.#append(def, [], nextTaskState(pendingTask(before.name, before.addedBy), "completed", 0, before.result, undefined, undefined, undefined, undefined, true));
    this.#code[i] = COMPLETED;
    this.#values[i] = before.result;
    this.#finished++;
  }

  /** True when an event of `type` would reach anyone (skip building its payload otherwise). */
  #wants(type: keyof WorkflowEvents): boolean {
    return this.#bus.has(type) || (this.#forward !== undefined && this.#forward.has(type));
  }

  #send<K extends keyof WorkflowEvents>(type: K, payload: WorkflowEvents[K]): void {
    this.#bus.emit(type, payload);
    this.#forward?.emit(type, payload);
  }
}
