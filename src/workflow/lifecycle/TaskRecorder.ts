import type { TaskDefinition } from "../definition/TaskDefinition.js";

/** A stored result of a task, as a resumed run finds it. */
export interface StoredTaskResult {
  readonly result: unknown;
  readonly attempts: number;
}

/**
 * Where a durable run's task lifecycle writes what must outlive the process (a store's run, see
 * `TaskJournal`). The lifecycle waits for `completed` before a task counts as done.
 */
export interface TaskRecorder {
  /**
   * Records a completed task's result; resolves once it is durable. Throws (a `SerializationError`)
   * when the result cannot be stored: the task fails with it instead of completing.
   */
  completed(task: string, result: unknown, attempts: number): Promise<void>;
  /** Records a task added with `ctx.add()`, so that a resume sees the same graph. */
  added(task: string, parent: string, def: TaskDefinition): void;
  /**
   * Records a task that failed for good as a dead letter (its item: the dependency results it was
   * given). Returns the refusal when the store cannot carry the item (the caller warns).
   */
  failed(task: string, item: unknown, error: unknown, attempts: number): { readonly refused: unknown } | undefined;
  /** The stored result of an added task that a resumed run's adder adds again; undefined when it has none. */
  storedResult(task: string): StoredTaskResult | undefined;
}
