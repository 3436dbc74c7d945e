import { nextTaskState, type TaskState, type TaskStatus } from "../../state/TaskState.js";
import { VectorBuilder } from "../../state/VectorBuilder.js";
import { WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";

// Status codes, kept in a plain array for the hot path (`TaskTable.code`).
export const PENDING = 0;
export const RUNNING = 1;
export const COMPLETED = 2;
export const FAILED = 3;
export const SKIPPED = 4;
export const CANCELLED = 5;

const codeOf: Record<TaskStatus, number> = {
  pending: PENDING,
  running: RUNNING,
  completed: COMPLETED,
  failed: FAILED,
  skipped: SKIPPED,
  cancelled: CANCELLED,
};

/**
 * The bookkeeping of one run, by task index: each task's status code, result and error for the
 * scheduler, and its frozen {@link TaskState} in a persistent vector for snapshots, with the
 * counts per status and a version that grows with every change. Snapshots share structure: the
 * vector is edited in place between snapshots and copied on write after one.
 */
export class TaskTable {
  /** Status code per task (`PENDING` … `CANCELLED`). */
  readonly code: number[] = [];
  /** Results of completed tasks. */
  readonly values: unknown[] = [];
  /** Last errors of failed tasks. */
  readonly errors: unknown[] = [];
  /** Tasks per status. */
  readonly counts: Record<TaskStatus, number> = {
    pending: 0,
    running: 0,
    completed: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  /** Increases with every change. */
  version = 0;
  /** Tasks in a final status. */
  finished = 0;
  readonly #states: VectorBuilder<TaskState>;
  /** The last snapshot, reused while the version did not change. */
  #snapshot: WorkflowSnapshot | undefined;

  /** A table of `states`: pending ones, and completed ones taken over from an earlier run. */
  constructor(states: readonly TaskState[]) {
    this.#states = VectorBuilder.from(states);
    for (const s of states) this.#track(s);
  }

  /** Number of tasks. */
  get size(): number {
    return this.code.length;
  }

  /** Task `i`'s state now. */
  state(i: number): TaskState {
    return this.#states.get(i)!;
  }

  /** Replaces task `i`'s state (its code follows the status), keeping the counts. */
  set(i: number, next: TaskState): void {
    const prev = this.#states.get(i)!;
    this.counts[prev.status]--;
    this.counts[next.status]++;
    this.code[i] = codeOf[next.status];
    this.#states.set(i, next);
    this.version++;
  }

  /** Task `i` starts its first attempt at `now`. */
  start(i: number, now: number): void {
    this.set(i, nextTaskState(this.state(i), "running", 1, undefined, undefined, now, undefined));
  }

  /** Task `i` starts attempt `attempt` (a retry). */
  retrying(i: number, attempt: number): void {
    const prev = this.state(i);
    this.set(i, nextTaskState(prev, "running", attempt, undefined, undefined, prev.startedAt, undefined));
  }

  /** Task `i` completed with `value` on attempt `attempt`. */
  complete(i: number, attempt: number, value: unknown, now: number): void {
    this.values[i] = value;
    const prev = this.state(i);
    this.set(i, nextTaskState(prev, "completed", attempt, value, undefined, prev.startedAt, now));
  }

  /** Task `i`'s last attempt, `attempt`, failed with `error`. */
  fail(i: number, attempt: number, error: unknown, now: number): void {
    this.errors[i] = error;
    const prev = this.state(i);
    this.set(i, nextTaskState(prev, "failed", attempt, undefined, error, prev.startedAt, now));
  }

  /** Task `i` is skipped because of task `because`. */
  skip(i: number, because: string, now: number): void {
    this.set(i, nextTaskState(this.state(i), "skipped", 0, undefined, undefined, undefined, now, because));
  }

  /**
   * Task `i` (pending or running) is cancelled with `reason` at `now`: its `endedAt`, whether it
   * started or not (`durationMs` stays undefined for one that never started).
   */
  cancel(i: number, reason: unknown, now: number): void {
    const prev = this.state(i);
    this.set(i, nextTaskState(prev, "cancelled", prev.attempts, undefined, reason, prev.startedAt, now));
  }

  /** Appends a task (pending, or completed when carried over); returns its index. */
  append(state: TaskState): number {
    this.#states.push(state);
    this.#track(state);
    this.version++;
    return this.code.length - 1;
  }

  /**
   * A frozen snapshot of the table now, with the run's `fields`: the same object while nothing
   * changed; otherwise O(1), and the next change copies only the trie path it touches.
   */
  snapshot(
    fields: Pick<WorkflowSnapshot, "workflow" | "state" | "startedAt" | "endedAt">,
    index: ReadonlyMap<string, number>,
  ): WorkflowSnapshot {
    const s = this.#snapshot;
    if (s !== undefined && s.version === this.version) return s;
    this.#snapshot = new WorkflowSnapshot(
      { ...fields, version: this.version, counts: this.counts },
      this.#states.freeze(),
      index,
    );
    return this.#snapshot;
  }

  /** Trie nodes copied so far because a frozen view shared them. */
  get copiedNodes(): number {
    return this.#states.copiedNodes;
  }

  #track(s: TaskState): void {
    const code = codeOf[s.status];
    this.code.push(code);
    this.values.push(code === COMPLETED ? s.result : undefined);
    this.errors.push(undefined);
    this.counts[s.status]++;
    if (code === COMPLETED) this.finished++;
  }
}
