import type { TaskState } from "../../state/TaskState.js";
import type { WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";
import type { WorkflowPlan } from "../../workflow/plan/WorkflowPlan.js";
import type { WatchableWorkflowRun } from "../DashboardOptions.js";
import type { RunSummary } from "./RunSummary.js";
import type { Watch } from "./Watch.js";

/** One task as the DAG page shows it. */
export interface TaskView {
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  /** The last error's message, once failed. */
  readonly error: string | undefined;
  readonly durationMs: number | undefined;
}

/** One attempt of a task on the timeline: ms since the dashboard began watching the run. */
export interface AttemptView {
  readonly attempt: number;
  readonly start: number;
  /** Undefined while it runs. */
  end: number | undefined;
  /** `retry`, or the task's final status. */
  outcome: string | undefined;
}

/**
 * Watches a workflow run: its tasks (only those that changed since the last sample go in an
 * update: a snapshot's unchanged tasks are the same objects) and every attempt's start and end
 * for the timeline, from the run's task events.
 */
export class WorkflowWatch implements Watch {
  readonly id: string;
  readonly #run: WatchableWorkflowRun;
  readonly #plan: WorkflowPlan | undefined;
  /** Monotonic ms when watching began: attempts are timed from it. */
  readonly #t0: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #attempts = new Map<string, AttemptView[]>();
  readonly #dirty = new Set<string>();
  readonly #previous = new Map<string, TaskState>();
  readonly #unsubscribe: Array<() => void> = [];
  #snap: WorkflowSnapshot;
  #endedAt: number | undefined;
  #done = false;
  #rate: number | undefined;
  #lastEnded = { t: 0, count: 0 };

  constructor(id: string, run: WatchableWorkflowRun, plan: WorkflowPlan | undefined, now: () => number) {
    this.id = id;
    this.#run = run;
    this.#plan = plan;
    this.#now = now;
    this.#t0 = now();
    this.#startedAt = Date.now();
    this.#snap = run.snapshot();
    const at = (): number => this.#now() - this.#t0;
    this.#unsubscribe.push(
      run.on("task:start", (e) => {
        let list = this.#attempts.get(e.task);
        if (list === undefined) this.#attempts.set(e.task, (list = []));
        list.push({ attempt: e.attempt, start: at(), end: undefined, outcome: undefined });
        this.#dirty.add(e.task);
      }),
      run.on("task:retry", (e) => this.#endAttempt(e.task, "retry", at())),
      run.on("task:end", (e) => this.#endAttempt(e.task.name, e.task.status, at())),
    );
    this.#lastEnded = { t: this.#t0, count: 0 };
  }

  get done(): boolean {
    return this.#done;
  }

  summary(): RunSummary {
    const s = this.#snap;
    const live = s.state === "running" || s.state === "stopping";
    return {
      id: this.id,
      source: "live",
      kind: "workflow",
      name: this.#run.workflow,
      state: s.state,
      done: ended(s),
      total: s.size,
      rate: this.#rate,
      errors: s.counts.failed,
      deadLetters: 0,
      startedAt: this.#startedAt,
      endedAt: this.#endedAt,
      stoppable: live,
    };
  }

  detail(): unknown {
    const planned = new Map((this.#plan?.tasks ?? []).map((t) => [t.name, t]));
    const tasks = [...this.#snap.tasks()].map((t) => ({
      ...view(t),
      after: planned.get(t.name)?.after ?? [],
      level: planned.get(t.name)?.level,
    }));
    return {
      kind: "workflow",
      t: this.#now() - this.#t0,
      summary: this.summary(),
      counts: this.#snap.counts,
      criticalPath: this.#plan?.criticalPath ?? [],
      tasks,
      attempts: Object.fromEntries(this.#attempts),
    };
  }

  sample(now: number): unknown {
    const snap = this.#run.snapshot();
    const changed: TaskView[] = [];
    if (snap !== this.#snap || this.#previous.size === 0) {
      for (const t of snap.tasks()) {
        if (this.#previous.get(t.name) === t) continue;
        this.#previous.set(t.name, t);
        changed.push(view(t));
      }
    }
    this.#snap = snap;
    const count = ended(snap);
    if (now > this.#lastEnded.t) {
      this.#rate = ((count - this.#lastEnded.count) * 1000) / (now - this.#lastEnded.t);
      this.#lastEnded = { t: now, count };
    }
    const attempts: Record<string, AttemptView[]> = {};
    for (const name of this.#dirty) attempts[name] = this.#attempts.get(name) ?? [];
    this.#dirty.clear();
    if (snap.state !== "running" && snap.state !== "stopping") {
      this.#endedAt ??= Date.now();
      this.#done = true;
      for (const off of this.#unsubscribe.splice(0)) off();
    }
    return {
      kind: "workflow",
      t: now - this.#t0,
      summary: this.summary(),
      counts: snap.counts,
      changed,
      attempts,
    };
  }

  stop(cancel: boolean): void {
    if (cancel) this.#run.cancel("cancelled from the dashboard");
    else this.#run.stop().catch(() => {});
  }

  #endAttempt(task: string, outcome: string, at: number): void {
    const last = this.#attempts.get(task)?.at(-1);
    if (last !== undefined && last.end === undefined) {
      last.end = at;
      last.outcome = outcome;
    }
    this.#dirty.add(task);
  }
}

function ended(s: WorkflowSnapshot): number {
  return s.counts.completed + s.counts.failed + s.counts.skipped + s.counts.cancelled;
}

function view(t: TaskState): TaskView {
  const error = t.error;
  return {
    name: t.name,
    status: t.status,
    attempts: t.attempts,
    error: error === undefined ? undefined : error instanceof Error ? error.message : String(error),
    durationMs: t.durationMs,
  };
}
