import { TaskError } from "../../errors/TaskError.js";
import { WorkflowError } from "../../errors/WorkflowError.js";
import type { EventBus } from "../../events/EventBus.js";
import { nextTaskState, pendingTask } from "../../state/TaskState.js";
import type { FinalWorkflowState } from "../../state/WorkflowSnapshot.js";
import type { Clock } from "../../time/Clock.js";
import { AttemptRunner, type AttemptContext, type AttemptOutcomes } from "../attempt/AttemptRunner.js";
import type { TaskAttempt } from "../attempt/TaskAttempt.js";
import { dependencyErrors, dependencyResults } from "../results/dependencyResults.js";
import { COMPLETED, FAILED, PENDING, RUNNING, type TaskTable } from "../results/TaskTable.js";
import type { WorkflowEvents } from "../results/WorkflowEvents.js";
import type { RunGraph } from "../plan/RunGraph.js";
import { TaskScheduler } from "../scheduling/TaskScheduler.js";
import { addedTaskDefinition, addedTaskStart } from "./addedTask.js";
import { skipDescendants } from "./skipDescendants.js";
import type { TaskRecorder } from "./TaskRecorder.js";

/** How the tasks end their run: once, with its final state and the error that says why. */
export type RunEnd = (state: FinalWorkflowState, error: unknown) => void;

/**
 * What a {@link TaskLifecycle} works with: what its attempt runner needs (the graph, bus, clocks,
 * randomness and the run's signal), the run's table and limits, and where it reports the end.
 */
export interface LifecycleOptions extends Omit<AttemptContext, "outcomes"> {
  readonly table: TaskTable;
  /** Dependencies not yet done, per task (counted down here). */
  readonly remaining: number[];
  readonly concurrency: number;
  readonly yieldEvery: number;
  readonly maxAddedTasks: number;
  /** Called when the tasks end the run (every task ended, a `fail-workflow` failure, a stop drained). */
  readonly end: RunEnd;
  /** A durable run's store: a task is done once its result is recorded there. @default none */
  readonly recorder?: TaskRecorder | undefined;
}

/**
 * Every task of one run from ready to settled: ready, given a slot by the {@link TaskScheduler},
 * run attempt by attempt by the {@link AttemptRunner}, settled under its failure policy, then its
 * dependents released or skipped. The sections below follow that path
 * (docs/architecture.md). The run only starts and ends this; it never sees a task.
 */
export class TaskLifecycle implements AttemptOutcomes {
  readonly workflow: string;
  readonly #graph: RunGraph;
  readonly #table: TaskTable;
  readonly #remaining: number[];
  readonly #bus: EventBus<WorkflowEvents>;
  readonly #clock: Clock;
  readonly #scheduler: TaskScheduler;
  readonly #attempts: AttemptRunner;
  readonly #end: RunEnd;
  readonly #yieldEvery: number;
  readonly #maxAddedTasks: number;
  readonly #recorder: TaskRecorder | undefined;
  readonly #skipTask = (i: number, because: string): void => this.#skip(i, because);
  #addedTasks = 0;
  /** The first task failure: the run's error when it ends `failed`. */
  #firstFailure: TaskError | undefined;
  /** Set by {@link TaskLifecycle.stopStarting}: no task starts any more. */
  #stopping = false;
  #stopReason: unknown;
  /** Set by {@link TaskLifecycle.stop}: the run ended, nothing happens any more. */
  #ended = false;
  #pumping = false;
  #yieldPending = false;

  constructor(options: LifecycleOptions) {
    const { graph, clock } = options;
    this.workflow = graph.workflow;
    this.#graph = graph;
    this.#table = options.table;
    this.#remaining = options.remaining;
    this.#bus = options.bus;
    this.#clock = clock;
    this.#end = options.end;
    this.#yieldEvery = options.yieldEvery;
    this.#maxAddedTasks = options.maxAddedTasks;
    this.#recorder = options.recorder;
    // policies that keep time follow the run's clock (one on another time base throws here)
    for (const def of graph.defs) def.admission?.bindClock?.(clock);
    this.#scheduler = new TaskScheduler(graph, options.concurrency);
    const { bus, timers, random, signal } = options;
    this.#attempts = new AttemptRunner({ graph, bus, clock, timers, random, signal, outcomes: this });
  }

  // ── 1. Ready ────────────────────────────────────────────────────────────────────────────────

  /** The run starts: every task whose dependencies are done is ready (or the run ends at once). */
  start(): void {
    const { code } = this.#table;
    for (let i = 0; i < code.length; i++)
      if (code[i] === PENDING && this.#remaining[i] === 0) this.#scheduler.makeReady(i);
    this.#checkDone();
    this.#pump();
  }

  // ── 2. Admitted: a slot, then the first attempt ─────────────────────────────────────────────

  /**
   * Starts ready tasks while the scheduler has slots for them; re-entrant calls return at once
   * (the loop goes on). Yields to the event loop every `yieldEvery` starts, so a long graph of
   * synchronous tasks cannot starve I/O.
   */
  #pump(): void {
    if (this.#pumping || this.#yieldPending || this.#ended) return;
    this.#pumping = true;
    let budget = this.#yieldEvery;
    try {
      const scheduler = this.#scheduler;
      for (let i = scheduler.next(); i >= 0; i = scheduler.next()) {
        const retry = scheduler.queuedRetry(i);
        if (retry === 0) this.#begin(i);
        else this.#resume(i, retry);
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

  /** Task `i` has its slot: it is running, and its first attempt starts. */
  #begin(i: number): void {
    const now = this.#clock.now();
    this.#table.start(i, now);
    this.#attempts.start(i, 1, now);
  }

  // ── 3. Attempts: what the attempt runner reports ────────────────────────────────────────────

  /** A retry's backoff passed: it starts now if the task has a slot, else when the scheduler gives one. */
  retryDue(i: number, attempt: number): void {
    if (!this.#ended && this.#scheduler.retryDue(i, attempt)) this.#resume(i, attempt);
  }

  #resume(i: number, attempt: number): void {
    this.#table.retrying(i, attempt);
    this.#attempts.start(i, attempt, this.#clock.now());
  }

  timedOut(i: number): void {
    this.#scheduler.passSlot(i);
  }

  abandonedSettled(i: number): void {
    this.#scheduler.freeSlot(i);
    this.#pump();
  }

  // ── 4. Settled ──────────────────────────────────────────────────────────────────────────────

  /**
   * The task's attempt returned. In a durable run, the task stays running until its result is
   * recorded (a result that cannot be stored fails it: never marked done without its record).
   */
  completed(i: number, attempt: number, value: unknown): void {
    const recorder = this.#recorder;
    if (recorder === undefined) {
      this.#complete(i, attempt, value);
      return;
    }
    let recorded: Promise<void>;
    try {
      recorded = recorder.completed(this.#graph.defs[i]!.name, value, attempt);
    } catch (error) {
      this.failed(i, attempt, error);
      return;
    }
    recorded.then(
      () => {
        if (!this.#ended && this.#table.code[i] === RUNNING) this.#complete(i, attempt, value);
      },
      (error: unknown) => {
        if (!this.#ended && this.#table.code[i] === RUNNING) this.failed(i, attempt, error);
      },
    );
  }

  #complete(i: number, attempt: number, value: unknown): void {
    this.#table.complete(i, attempt, value, this.#clock.now());
    this.#finished(i);
    this.#release(i);
  }

  /** The task's last attempt failed: its failure policy decides what happens to the rest. */
  failed(i: number, attempt: number, error: unknown): void {
    this.#table.fail(i, attempt, error, this.#clock.now());
    const def = this.#graph.defs[i]!;
    if (this.#recorder !== undefined) this.#deadLetter(i, def.name, attempt, error);
    this.#finished(i);
    const failure = new TaskError(this.workflow, def.name, error, attempt);
    this.#firstFailure ??= failure;
    if (def.onFailure === "fail-workflow") {
      this.#end("failed", failure);
      return;
    }
    if (def.onFailure === "skip-dependents") skipDescendants(this.#graph, this.#table, i, this.#skipTask);
    this.#release(i);
  }

  /** A durable run keeps a task that failed for good as a dead letter; one the store cannot carry stays in memory, with a warning. */
  #deadLetter(i: number, task: string, attempt: number, error: unknown): void {
    let refused: unknown;
    try {
      refused = this.#recorder!.failed(task, this.resultsOf(i), error, attempt)?.refused;
    } catch (failure) {
      refused = failure; // the store failed: the run ends through the handle's failure
    }
    if (refused !== undefined && this.#bus.has("store:warning")) {
      const message = `task "${task}" failed; its dead letter is kept in memory only: ${String(refused)}`;
      this.#bus.emit("store:warning", { workflow: this.workflow, task, message, error: refused });
    }
  }

  #skip(i: number, because: string): void {
    this.#table.skip(i, because, this.#clock.now());
    this.#finished(i);
  }

  /** Task `i` reached a final status: count it and report it. */
  #finished(i: number): void {
    this.#table.finished++;
    if (this.#bus.has("task:end")) this.#bus.emit("task:end", { workflow: this.workflow, task: this.#table.state(i) });
  }

  // ── 5. Dependents released ──────────────────────────────────────────────────────────────────

  /** Task `i` completed, or failed under "continue" / "skip-dependents": free its slot, wake its dependents. */
  #release(i: number): void {
    this.#scheduler.release(i);
    const { code } = this.#table;
    if (code[i] !== FAILED || this.#graph.defs[i]!.onFailure === "continue") {
      for (const d of this.#graph.dependents[i]!) {
        if (code[d] === PENDING && --this.#remaining[d]! === 0) this.#scheduler.makeReady(d);
      }
    }
    this.#checkDone();
    this.#pump();
  }

  /** Ends the run when every task ended, or when it is stopping and no task runs any more. */
  #checkDone(): void {
    if (this.#ended) return;
    const t = this.#table;
    if (t.finished === t.size) this.#end(this.#firstFailure === undefined ? "completed" : "failed", this.#firstFailure);
    else if (this.#stopping && t.counts.running === 0) this.#end("cancelled", this.#stopReason);
  }

  // ── What an attempt's ctx reads, and ctx.add() ──────────────────────────────────────────────

  resultsOf(i: number): Record<string, unknown> {
    return dependencyResults(this.#graph, this.#table, i);
  }

  errorsOf(i: number): Record<string, unknown> {
    return dependencyErrors(this.#graph, this.#table, i);
  }

  /**
   * `ctx.add()` from attempt `from`, while it is its task's current attempt: validates the task
   * ({@link addedTaskDefinition}), appends it, raises the remaining path of its pending ancestors
   * (so the critical path still goes first), and leaves it waiting for its dependencies, ready,
   * or skipped at once when one of them already failed.
   */
  addTask(from: TaskAttempt, name: unknown, options: unknown, fn: unknown): void {
    const graph = this.#graph;
    const table = this.#table;
    const adder = graph.defs[from.index]!.name;
    if (this.#ended) throw new WorkflowError(this.workflow, String(name), "cannot be added: the run has ended");
    if (!this.#attempts.isCurrent(from)) {
      throw new WorkflowError(
        this.workflow,
        String(name),
        `cannot be added by "${adder}": its attempt ${from.attempt} has ended`,
      );
    }
    const { def, deps } = addedTaskDefinition(graph, adder, this.#addedTasks, this.#maxAddedTasks, name, options, fn);
    def.admission?.bindClock?.(this.#clock);
    this.#addedTasks++;
    this.#recorder?.added(def.name, adder, def);
    const i = graph.append(def, deps);
    // a resumed run's adder adds again what it added before: what had completed does not run again
    const stored = this.#recorder?.storedResult(def.name);
    const pending = pendingTask(def.name, adder);
    table.append(
      stored === undefined
        ? pending
        : nextTaskState(pending, "completed", 0, stored.result, undefined, undefined, undefined, undefined, true),
    );
    this.#remaining.push(0);
    graph.raiseRanks(
      deps,
      graph.rank[i]! + 1,
      (j) => table.code[j] === PENDING,
      (j) => this.#scheduler.raised(j),
    );
    if (this.#bus.has("task:added"))
      this.#bus.emit("task:added", { workflow: this.workflow, task: def.name, addedBy: adder, after: def.after });
    if (table.code[i] === COMPLETED) {
      // counted as finished by the table (appended completed); nothing waits on a task just added
      if (this.#bus.has("task:end")) this.#bus.emit("task:end", { workflow: this.workflow, task: table.state(i) });
      this.#checkDone();
      return;
    }
    const { remaining, skippedBecause } = addedTaskStart(graph, table, deps);
    this.#remaining[i] = remaining;
    if (skippedBecause !== undefined) {
      this.#skip(i, skippedBecause);
      this.#checkDone();
    } else if (remaining === 0) {
      this.#scheduler.makeReady(i);
      this.#pump();
    }
  }

  // ── The run's end ───────────────────────────────────────────────────────────────────────────

  /**
   * The run is stopping (`run.stop()`): no task starts any more; running ones go on, retries
   * included. When none runs, the run ends `cancelled` with `reason` (unless every task ended).
   */
  stopStarting(reason: unknown): void {
    if (this.#ended || this.#stopping) return;
    this.#stopping = true;
    this.#stopReason = reason;
    this.#scheduler.stopStarting();
    this.#checkDone();
  }

  /**
   * The run ended (call once): nothing starts any more, running attempts abort with `reason`,
   * and every unfinished task is cancelled at `now`. Returns the function that gives back the
   * attempts' admissions: call it once the run's signal aborted (see {@link AttemptRunner.stopAll}).
   */
  stop(reason: unknown, now: number): () => void {
    this.#ended = true;
    this.#scheduler.stop();
    const releaseAdmissions = this.#attempts.stopAll(reason);
    const t = this.#table;
    for (let i = 0; t.finished < t.size && i < t.size; i++) {
      if (t.code[i] !== PENDING && t.code[i] !== RUNNING) continue;
      t.cancel(i, reason, now);
      this.#finished(i);
    }
    return releaseAdmissions;
  }
}
