import { TimeoutError } from "../../errors/TimeoutError.js";
import type { EventBus } from "../../events/EventBus.js";
import type { Executor } from "../../executor/Executor.js";
import { followThenable, thenOf } from "../../executor/followThenable.js";
import { acquire } from "../../policy/acquire.js";
import { cancelledOutcome, neutralOutcome, type Admission } from "../../policy/Admission.js";
import { backoffDelay, shouldRetry } from "../../policy/retry.js";
import { retryAfterMs } from "../../policy/retryAfterMs.js";
import type { Clock, TimerHandle } from "../../time/Clock.js";
import type { RunGraph } from "../plan/RunGraph.js";
import { TaskAttempt, type AttemptHost } from "./TaskAttempt.js";
import type { TaskDefinition } from "../definition/TaskDefinition.js";
import type { WorkflowEvents } from "../results/WorkflowEvents.js";

/** Where the attempts' outcomes go: the task's lifecycle. */
export interface AttemptOutcomes extends AttemptHost {
  /** Attempt `attempt` of task `i` returned `value`. */
  completed(i: number, attempt: number, value: unknown): void;
  /** Attempt `attempt` of task `i` failed with `error`, and no retry follows. */
  failed(i: number, attempt: number, error: unknown): void;
  /** Attempt `attempt` of task `i` failed and its backoff has passed: start it when it has a slot. */
  retryDue(i: number, attempt: number): void;
  /** An attempt of task `i` timed out while its code still runs: it keeps the task's slot until it settles. */
  timedOut(i: number): void;
  /** That timed-out attempt of task `i` settled at last: the slot it kept is free. */
  abandonedSettled(i: number): void;
}

/** What an {@link AttemptRunner} works with: the run's parts it reads and reports to. */
export interface AttemptContext {
  readonly graph: RunGraph;
  readonly bus: EventBus<WorkflowEvents>;
  readonly clock: Clock;
  /** Where task timeouts and retry backoffs are set: the run's timer wheel (or its clock). */
  readonly timers: Clock;
  readonly random: () => number;
  /** Aborts when the run ends early: stops waits for admission. */
  readonly signal: AbortSignal;
  readonly outcomes: AttemptOutcomes;
}

/**
 * Runs the attempts of a run's tasks: admission (per attempt, waiting in the task's slot), the
 * call (or the executor), the timeout, the retry backoff, and the admission a timed-out attempt
 * keeps while its code still runs. Reports every outcome to the task's lifecycle
 * ({@link AttemptOutcomes}); it never touches a task's status or slot. A synchronous result or
 * throw settles without a promise hop.
 */
export class AttemptRunner {
  readonly #context: AttemptContext;
  /** The current attempt of each running task (undefined between attempts). */
  readonly #current: (TaskAttempt | undefined)[] = [];
  readonly #executors = new Map<number, Executor>();
  readonly #retryTimers = new Map<number, TimerHandle>();
  /** Attempts that timed out while their code still runs: each keeps a slot and its admission until it settles. */
  readonly #abandoned = new Set<TaskAttempt>();

  constructor(context: AttemptContext) {
    this.#context = context;
  }

  /**
   * True while `a` is its task's current attempt: from its start until it completes, fails, times
   * out (a retry is a new attempt) or the run ends.
   */
  isCurrent(a: TaskAttempt): boolean {
    return this.#current[a.index] === a;
  }

  /** Starts attempt `n` of task `i` (its slot is held). */
  start(i: number, n: number, now: number): void {
    const def = this.#context.graph.defs[i]!;
    const a = new TaskAttempt(this.#context.outcomes, i, def.name, n);
    this.#current[i] = a;
    if (def.admission === undefined) this.#call(a, def, now);
    else this.#admit(a, def, def.admission);
  }

  /**
   * The run ended: aborts every attempt (current and timed-out) with `reason`, cancels retries,
   * closes executors. Returns the function that gives back their admissions (a running attempt's
   * as cancelled, a timed-out one's as failed with its `TimeoutError`): call it once waiters for
   * admission were stopped, so none of them takes what is freed.
   */
  stopAll(reason: unknown): () => void {
    const held: [TaskAttempt, unknown, boolean][] = [];
    for (const a of this.#current) {
      if (a === undefined) continue;
      a.abort(reason);
      if (a.admitted) held.push([a, reason, true]);
    }
    this.#current.length = 0;
    for (const t of this.#retryTimers.values()) t.cancel();
    this.#retryTimers.clear();
    for (const a of this.#abandoned) held.push([a, a.abandonedFor, false]);
    this.#abandoned.clear();
    for (const executor of this.#executors.values()) void executor.close().catch(() => undefined);
    this.#executors.clear();
    return () => {
      for (const [a, why, cancelled] of held) this.#releaseAdmission(a, false, why, cancelled);
    };
  }

  /** Waits until the task's admission admits attempt `a` (its slot held meanwhile), then calls it. */
  #admit(a: TaskAttempt, def: TaskDefinition, admission: Admission): void {
    acquire(admission, a, { clock: this.#context.clock, signal: this.#context.signal }).then(
      () => {
        const now = this.#context.clock.now();
        if (this.#current[a.index] !== a)
          admission.release(a, neutralOutcome, now); // the run ended meanwhile
        else {
          a.admitted = true;
          this.#call(a, def, now);
        }
      },
      () => undefined, // the run ended while it waited: nothing was acquired
    );
  }

  /** Calls attempt `a`'s code (or hands it to the task's executor), with its timeout armed. */
  #call(a: TaskAttempt, def: TaskDefinition, now: number): void {
    a.startedAt = now;
    const { bus, timers } = this.#context;
    if (bus.has("task:start"))
      bus.emit("task:start", { workflow: this.#context.graph.workflow, task: def.name, attempt: a.attempt, at: now });
    const timeoutMs = def.timeoutMs;
    if (timeoutMs !== undefined) a.timer = timers.setTimer(() => this.#timedOut(a, timeoutMs), timeoutMs);
    if (def.executor !== undefined) {
      this.#execute(a, def);
      return;
    }
    let out: unknown;
    try {
      out = def.fn(a);
    } catch (error) {
      this.#failed(a, error);
      return;
    }
    let then;
    try {
      then = thenOf(out);
    } catch (error) {
      // a `then` getter that throws fails the attempt, as `await` would
      this.#failed(a, error);
      return;
    }
    if (then !== undefined)
      followThenable(
        out as object,
        then,
        (value) => this.#settled(a, true, value),
        (error: unknown) => this.#settled(a, false, error),
      );
    else this.#done(a, out);
  }

  #execute(a: TaskAttempt, def: TaskDefinition): void {
    try {
      let executor = this.#executors.get(a.index);
      if (executor === undefined) {
        executor = def.executor!({ workflow: this.#context.graph.workflow, task: def.name, context: def.context });
        this.#executors.set(a.index, executor);
      }
      executor.execute(
        { item: this.#context.outcomes.resultsOf(a.index), index: a.index, attempt: a.attempt, signal: a.signal },
        { resolve: (value) => this.#settled(a, true, value), reject: (error) => this.#settled(a, false, error) },
      );
    } catch (error) {
      this.#settled(a, false, error);
    }
  }

  /** Attempt `a`'s code settled: its outcome counts unless it was abandoned (timed out) or the run ended. */
  #settled(a: TaskAttempt, ok: boolean, value: unknown): void {
    if (a.abandonedFor !== undefined) this.#abandonedSettled(a);
    else if (ok) this.#done(a, value);
    else this.#failed(a, value);
  }

  /**
   * The attempt ran past its timeout: it fails now (the task fails or its retry is scheduled), but
   * its code may still run, so it keeps its admission, and the task's slot (the lifecycle passes
   * it), until it settles; a retry has to get a slot of its own.
   */
  #timedOut(a: TaskAttempt, timeoutMs: number): void {
    if (this.#current[a.index] !== a) return;
    const error = new TimeoutError(`workflow "${this.#context.graph.workflow}": task "${a.task}"`, timeoutMs);
    a.abort(error);
    a.abandonedFor = error;
    this.#abandoned.add(a);
    this.#context.outcomes.timedOut(a.index);
    this.#failed(a, error);
  }

  /** A timed-out attempt's code settled at last: give back its admission and the slot it kept. */
  #abandonedSettled(a: TaskAttempt): void {
    if (!this.#abandoned.delete(a)) return; // the run ended and released it
    this.#releaseAdmission(a, false, a.abandonedFor);
    this.#context.outcomes.abandonedSettled(a.index);
  }

  #done(a: TaskAttempt, value: unknown): void {
    const i = a.index;
    if (this.#current[i] !== a) return; // stale: the run ended
    a.timer?.cancel();
    this.#current[i] = undefined;
    this.#releaseAdmission(a, true, undefined);
    this.#context.outcomes.completed(i, a.attempt, value);
  }

  #failed(a: TaskAttempt, error: unknown): void {
    const i = a.index;
    if (this.#current[i] !== a) return;
    a.timer?.cancel();
    this.#current[i] = undefined;
    if (a.abandonedFor === undefined) this.#releaseAdmission(a, false, error);
    const def = this.#context.graph.defs[i]!;
    if (!shouldRetry(def.retry, error, a.attempt)) {
      this.#context.outcomes.failed(i, a.attempt, error);
      return;
    }
    const delayMs = backoffDelay(def.retry, a.attempt, this.#context.random);
    const { bus, timers, outcomes } = this.#context;
    if (bus.has("task:retry"))
      bus.emit("task:retry", {
        workflow: this.#context.graph.workflow,
        task: def.name,
        attempt: a.attempt + 1,
        delayMs,
        error,
      });
    this.#retryTimers.set(
      i,
      timers.setTimer(() => {
        this.#retryTimers.delete(i);
        outcomes.retryDue(i, a.attempt + 1);
      }, delayMs),
    );
  }

  /**
   * Gives back what attempt `a` acquired, with its outcome (and a Retry-After its error carried);
   * `cancelled` when the run's end cut it short (the policy records no outcome for it).
   */
  #releaseAdmission(a: TaskAttempt, ok: boolean, error: unknown, cancelled = false): void {
    if (!a.admitted) return;
    a.admitted = false;
    const admission = this.#context.graph.defs[a.index]!.admission!;
    const now = this.#context.clock.now();
    const latencyMs = now - a.startedAt;
    if (cancelled) {
      admission.release(a, cancelledOutcome(error, latencyMs), now);
      return;
    }
    admission.release(a, ok ? { ok, latencyMs } : { ok, error, latencyMs }, now);
    if (!ok) {
      const ms = retryAfterMs(error);
      if (ms !== undefined) admission.penalize?.(a, ms, now);
    }
  }
}
