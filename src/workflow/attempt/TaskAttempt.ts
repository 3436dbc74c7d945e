import type { TimerHandle } from "../../time/Clock.js";
import type { TaskContext } from "../definition/TaskContext.js";

/** What an attempt needs from its run. */
export interface AttemptHost {
  readonly workflow: string;
  /** The dependency results of task `index`, by name. */
  resultsOf(index: number): Record<string, unknown>;
  /** Errors of the dependencies of `index` that failed under `onFailure: "continue"`. */
  errorsOf(index: number): Record<string, unknown>;
  /** Adds a dynamic task on behalf of attempt `from` (refused unless it is its task's current attempt). */
  addTask(from: TaskAttempt, name: unknown, options: unknown, fn: unknown): void;
}

/**
 * One attempt of one task; it is also the `ctx` the task function receives. Its signal is made on
 * first read (most tasks never read it, and an AbortController is not free); if the attempt was
 * aborted before that, the signal is born aborted.
 */
export class TaskAttempt implements TaskContext {
  readonly task: string;
  readonly attempt: number;
  /** The task's index in the run. */
  readonly index: number;
  /** The attempt's timeout timer, if any. */
  timer: TimerHandle | undefined;
  /** Clock reading when the attempt's code was called (after admission). */
  startedAt = 0;
  /** True while the attempt holds its task's admission (to release exactly once). */
  admitted = false;
  /** Set when the attempt timed out while its code was still running: why it was abandoned. */
  abandonedFor: unknown = undefined;
  readonly #host: AttemptHost;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #results: Record<string, unknown> | undefined;

  constructor(host: AttemptHost, index: number, task: string, attempt: number) {
    this.#host = host;
    this.index = index;
    this.task = task;
    this.attempt = attempt;
  }

  get workflow(): string {
    return this.#host.workflow;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get results(): Readonly<Record<string, unknown>> {
    return (this.#results ??= this.#host.resultsOf(this.index));
  }

  get errors(): Readonly<Record<string, unknown>> {
    return this.#host.errorsOf(this.index);
  }

  add(name: string, optionsOrFn: unknown, fn?: unknown): void {
    if (typeof optionsOrFn === "function") this.#host.addTask(this, name, undefined, optionsOrFn);
    else this.#host.addTask(this, name, optionsOrFn, fn);
  }

  /** Aborts the attempt's signal (now, or when first read) with `reason`. Idempotent. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.timer?.cancel();
    this.#controller?.abort(reason);
  }
}
