import type { PersistentVector } from "./PersistentVector.js";
import type { TaskState, TaskStatus } from "./TaskState.js";

/** Life cycle of a workflow run: `stopping` after `run.stop()`, while running tasks finish. */
export type WorkflowState = "running" | "stopping" | "completed" | "failed" | "cancelled";

/** The state a workflow run ends in. */
export type FinalWorkflowState = Exclude<WorkflowState, "running" | "stopping">;

/**
 * An immutable (frozen) view of a workflow run at one moment. Consecutive snapshots share
 * structure: an unchanged task's state is the same object in both, and making one costs
 * O(tasks changed since the last), not O(tasks). Projections (`progress`, `failedTasks`, …) are
 * plain functions over snapshots.
 *
 * @example
 * ```ts
 * const s = run.snapshot();
 * s.task("extract")?.status; // "running"
 * progress(s).ratio;         // 0.25
 * ```
 */
export class WorkflowSnapshot {
  /** The workflow's name. */
  readonly workflow: string;
  readonly state: WorkflowState;
  /** Increases with every change to the run; equal versions mean equal snapshots. */
  readonly version: number;
  /** Tasks per status. */
  readonly counts: Readonly<Record<TaskStatus, number>>;
  /** When the run started (clock reading, ms). */
  readonly startedAt: number;
  /** When the run ended, once it has. */
  readonly endedAt: number | undefined;
  readonly #tasks: PersistentVector<TaskState>;
  readonly #index: ReadonlyMap<string, number>;

  /**
   * @internal Made by a run. `index` maps names to positions; it may grow later (dynamic tasks),
   * so lookups are bounded by this snapshot's size.
   */
  constructor(
    fields: Pick<WorkflowSnapshot, "workflow" | "state" | "version" | "counts" | "startedAt" | "endedAt">,
    tasks: PersistentVector<TaskState>,
    index: ReadonlyMap<string, number>,
  ) {
    this.workflow = fields.workflow;
    this.state = fields.state;
    this.version = fields.version;
    this.counts = Object.freeze({ ...fields.counts });
    this.startedAt = fields.startedAt;
    this.endedAt = fields.endedAt;
    this.#tasks = tasks;
    this.#index = index;
    Object.freeze(this);
  }

  /** Number of tasks in the run (dynamic tasks included). */
  get size(): number {
    return this.#tasks.size;
  }

  /** The state of task `name`, or undefined when the run has no such task (yet). */
  task(name: string): TaskState | undefined {
    const i = this.#index.get(name);
    return i === undefined ? undefined : this.#tasks.get(i);
  }

  /** Every task's state, in definition order (dynamic tasks last, in the order added). */
  tasks(): Iterable<TaskState> {
    return this.#tasks;
  }

  /** A plain, JSON-serializable copy. */
  toJSON(): {
    workflow: string;
    state: WorkflowState;
    version: number;
    counts: Record<TaskStatus, number>;
    tasks: TaskState[];
  } {
    return {
      workflow: this.workflow,
      state: this.state,
      version: this.version,
      counts: { ...this.counts },
      tasks: this.#tasks.toArray(),
    };
  }
}
