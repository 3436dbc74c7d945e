import type { WeirError } from "../errors/WeirError.js";
import type { Checkpoint, CheckpointInput } from "./Checkpoint.js";
import type { NewDeadLetter } from "./DeadLetterRecord.js";
import type { RunKind, RunRecord, StoredRunState } from "./RunRecord.js";
import type { AddedTask, AddedTaskRecord, TaskResultRecord } from "./TaskRecords.js";

/** An item a non-replayable source admitted that is not done yet. */
export interface InboxEntry {
  readonly index: number;
  readonly item: unknown;
}

/**
 * A run this process owns: every write goes through it, queued for the store's next group commit
 * and fenced by the run's owner epoch (a write committed after another process claimed the run
 * fails the handle with `WEIR_RUN_FENCED`, in the transaction that checked the epoch).
 *
 * Writes are synchronous and return nothing: they validate and encode at once (a value msgpack
 * cannot carry throws a `SerializationError` and nothing is queued) and become durable at the next
 * group commit (`committed()` waits for it; `commit()` forces it). A failed commit (disk full,
 * fenced off, I/O) fails the handle: `failure` holds the error, `onFailure` listeners hear it, and
 * every later write and wait throws it. What was committed before stays.
 *
 * @example
 * ```ts
 * const run = await store.createRun({ kind: "pipeline", name: "orders", plan });
 * run.inboxAdd(7, item);               // at admission (non-replayable source)
 * run.inboxRemove(7);                  // when the item is done
 * run.checkpoint({ watermark: 8 });    // per group commit
 * await run.finish("completed");
 * ```
 */
export interface RunHandle {
  readonly id: string;
  readonly kind: RunKind;
  readonly name: string;
  /** The owner epoch this handle holds. */
  readonly epoch: number;
  /** True when the run existed before (`resumeRun`). */
  readonly resumed: boolean;
  /** The run's row as it was claimed. */
  readonly record: RunRecord;
  /** Writes queued by this handle and not yet committed. */
  readonly pending: number;
  /** Why the handle failed, once it has. */
  readonly failure: WeirError | undefined;

  /** Queues a checkpoint; a later checkpoint of the same commit group replaces it. */
  checkpoint(input: CheckpointInput): void;
  /**
   * Registers how to make this run's checkpoint, for {@link RunHandle.progressed}: the store calls
   * `make` once at the start of each group commit in which the run progressed, so the checkpoint is
   * built (and its accumulators encoded) once per commit, not once per item. A `make` that throws
   * fails the handle with that error (a `SerializationError` when its state cannot be stored).
   */
  checkpointWith(make: () => CheckpointInput): void;
  /**
   * Marks that the run's state moved (an item done): the next group commit takes a checkpoint made by
   * `checkpointWith`'s function. Cheap enough to call per item.
   */
  progressed(): void;
  /** The latest committed checkpoint, or undefined. Commits what is queued first. */
  lastCheckpoint(): Promise<Checkpoint | undefined>;

  /**
   * Records an admitted item of a non-replayable source (removed again when done). Each index is
   * added once; items a resume reads back with `inbox()` are already there (do not add them again).
   */
  inboxAdd(index: number, item: unknown): void;
  /** Forgets a done item; added and removed within one commit group, it never reaches the disk. */
  inboxRemove(index: number): void;
  /** Items still in the inbox, ascending by index, one page at a time. Commits what is queued first. */
  inbox(page?: { readonly after?: number; readonly limit?: number }): Promise<InboxEntry[]>;

  /** Records a completed task's result (replacing an earlier one of the same task). */
  recordTaskResult(task: string, result: unknown, info: { readonly attempts: number }): void;
  /** The stored task results. Commits what is queued first. */
  taskResults(): Promise<ReadonlyMap<string, TaskResultRecord>>;
  /** Records a task added at run time. */
  recordAddedTask(task: AddedTask): void;
  /** The recorded added tasks, in the order they were added. Commits what is queued first. */
  addedTasks(): Promise<AddedTaskRecord[]>;

  /** Records a dead letter of this run. */
  addDeadLetter(letter: NewDeadLetter): void;
  /**
   * Publishes what `weir top` shows of this run (stage rates, queue fill: any msgpack-able value);
   * stored with the next group commit, a later one of the same group replacing it.
   */
  publishSnapshot(snapshot: unknown): void;

  /** Commits what is queued now (not waiting for the window) and resolves when it is durable. */
  commit(): Promise<void>;
  /** Resolves when everything this handle queued so far is committed (at the group's own pace). */
  committed(): Promise<void>;
  /** Listens for the handle's failure; returns the unsubscribe function. */
  onFailure(listener: (error: WeirError) => void): () => void;

  /**
   * Ends the run (`"completed"`, `"failed"`, `"cancelled"`), or with `"running"` releases it
   * unfinished so that a later `resumeRun` continues it without waiting for the lease. Commits
   * everything queued, clears the owner, stops the heartbeat. The handle takes no writes after.
   */
  finish(state: StoredRunState, error?: unknown): Promise<void>;
}
