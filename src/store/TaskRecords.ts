/** A completed workflow task's stored result. */
export interface TaskResultRecord {
  readonly task: string;
  readonly result: unknown;
  readonly attempts: number;
  /** Wall-clock ms when it completed. */
  readonly completedAt: number;
}

/**
 * A task added while the run was running (a dynamic task), recorded so that a resume sees the same
 * graph. `spec` is data (msgpack): the workflow runner stores what it needs to rebuild the task
 * (a registered factory's name and arguments, its dependencies and options), never a function.
 */
export interface AddedTask {
  readonly task: string;
  /** The task whose attempt added it. */
  readonly parent: string;
  readonly spec: unknown;
}

/** A stored {@link AddedTask}, in the order the tasks were added. */
export interface AddedTaskRecord extends AddedTask {
  /** 1, 2, 3… in the order added. */
  readonly seq: number;
  readonly addedAt: number;
}
