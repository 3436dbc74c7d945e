import type { StoredRunState } from "./RunRecord.js";

/**
 * One queued mutation, already encoded: what a group commit applies, in queue order, in one
 * transaction. Run-scoped ops carry the epoch of the handle that queued them; the backend checks
 * it against the run's row in the same transaction and drops the ops of a fenced-off handle.
 * `cancelled` ops (an inbox item added and removed within one group, a checkpoint superseded by a
 * later one of the same group) are skipped.
 */
export type WriteOp =
  | CheckpointOp
  | InboxAddOp
  | InboxRemoveOp
  | TaskResultOp
  | TaskAddedOp
  | DeadLetterOp
  | RunEndOp
  | HeartbeatOp
  | SnapshotOp
  | CacheSetOp
  | SqlOp;

interface RunScoped {
  readonly runId: string;
  readonly epoch: number;
  cancelled: boolean;
}

export interface CheckpointOp extends RunScoped {
  readonly kind: "checkpoint";
  readonly watermark: number;
  readonly done: Uint8Array;
  readonly doneCount: number;
  readonly accumulators: Uint8Array;
  readonly stageState: Uint8Array;
  readonly total: number | undefined;
  readonly at: number;
}

export interface InboxAddOp extends RunScoped {
  readonly kind: "inbox-add";
  readonly index: number;
  readonly item: Uint8Array;
}

export interface InboxRemoveOp extends RunScoped {
  readonly kind: "inbox-remove";
  readonly index: number;
}

export interface TaskResultOp extends RunScoped {
  readonly kind: "task-result";
  readonly task: string;
  readonly result: Uint8Array;
  readonly attempts: number;
  readonly at: number;
}

export interface TaskAddedOp extends RunScoped {
  readonly kind: "task-added";
  readonly task: string;
  readonly parent: string;
  readonly spec: Uint8Array;
  readonly at: number;
}

export interface DeadLetterOp extends RunScoped {
  readonly kind: "dead-letter";
  readonly runKind: string;
  readonly runName: string;
  readonly key: string;
  readonly stage: string;
  readonly index: number | undefined;
  readonly item: Uint8Array;
  readonly errorName: string;
  readonly errorCode: string | undefined;
  readonly errorMessage: string;
  /** The whole {@link StoredError}, encoded (stack and causes included). */
  readonly error: Uint8Array;
  readonly attempts: number;
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
}

export interface RunEndOp extends RunScoped {
  readonly kind: "run-end";
  /** The state to leave the run in; `"running"` releases it (resumable) without ending it. */
  readonly state: StoredRunState;
  readonly error: Uint8Array | undefined;
  readonly at: number;
}

export interface HeartbeatOp extends RunScoped {
  readonly kind: "heartbeat";
  readonly at: number;
}

export interface SnapshotOp extends RunScoped {
  readonly kind: "snapshot";
  readonly snapshot: Uint8Array;
}

export interface CacheSetOp {
  readonly kind: "cache-set";
  readonly stage: string;
  readonly key: string;
  readonly value: Uint8Array;
  readonly storedAt: number;
  readonly expiresAt: number | undefined;
  readonly maxEntries: number;
  cancelled: boolean;
}

/**
 * A write of the user's own rows into the store's SQLite file (`sqliteSink`), run in the commit
 * group's transaction, in queue order: the rows commit together with the checkpoint that covers
 * them, or not at all. Only the SQLite store applies it.
 */
export interface SqlOp extends RunScoped {
  readonly kind: "sql";
  /** Runs the write on the store's connection (a better-sqlite3 `Database`), inside the transaction. */
  readonly apply: (connection: unknown) => void;
}

/** A run-scoped op (everything but cache writes). */
export type RunOp = Exclude<WriteOp, CacheSetOp>;
