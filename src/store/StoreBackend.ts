import type { DeadLetterFilter } from "./DeadLetterRecord.js";
import type { RunFilter, RunKind, RunOwner, StoredRunState } from "./RunRecord.js";
import type { WriteOp } from "./WriteOp.js";

/** A run's row as a backend keeps it (blobs still encoded). */
export interface RunRow {
  readonly id: string;
  readonly kind: RunKind;
  readonly name: string;
  readonly planHash: string;
  readonly plan: Uint8Array;
  readonly inputs: Uint8Array | undefined;
  readonly state: StoredRunState;
  readonly owner: RunOwner | undefined;
  readonly epoch: number;
  readonly heartbeatAt: number | undefined;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly endedAt: number | undefined;
  readonly total: number | undefined;
  readonly error: Uint8Array | undefined;
  readonly snapshot: Uint8Array | undefined;
  /** Items (pipelines, from the latest checkpoint) or task results (workflows) done. */
  readonly done: number;
  readonly deadLetters: number;
}

/** What a claim writes on a run's row. */
export interface ClaimRow {
  readonly owner: RunOwner;
  readonly epoch: number;
  readonly at: number;
  /** A new shape (a forced resume), or undefined to keep the stored one. */
  readonly plan: { readonly hash: string; readonly bytes: Uint8Array } | undefined;
}

export interface CheckpointRow {
  readonly seq: number;
  readonly watermark: number;
  readonly done: Uint8Array;
  readonly accumulators: Uint8Array;
  readonly stageState: Uint8Array;
  readonly at: number;
}

export interface InboxRow {
  readonly index: number;
  readonly item: Uint8Array;
}

export interface TaskResultRow {
  readonly task: string;
  readonly result: Uint8Array;
  readonly attempts: number;
  readonly completedAt: number;
}

export interface AddedTaskRow {
  readonly seq: number;
  readonly task: string;
  readonly parent: string;
  readonly spec: Uint8Array;
  readonly addedAt: number;
}

export interface DeadLetterRow {
  readonly id: number;
  readonly runId: string;
  readonly runKind: RunKind;
  readonly runName: string;
  readonly key: string;
  readonly stage: string;
  readonly index: number | undefined;
  readonly item: Uint8Array;
  /** The error's code, kept apart for filtering. */
  readonly errorCode: string | undefined;
  readonly error: Uint8Array;
  readonly attempts: number;
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
  readonly replayedAt: number | undefined;
}

export interface CacheRow {
  readonly value: Uint8Array;
  readonly storedAt: number;
  readonly expiresAt: number | undefined;
}

/** Fenced-off runs of one commit: run id → the run's epoch in the store (undefined: the run is gone). */
export type FencedRuns = ReadonlyMap<string, number | undefined>;

/**
 * Where a store keeps its rows: the one thing the memory and SQLite stores implement differently.
 * Synchronous (better-sqlite3 is); every call is atomic on its own, `transaction(fn)` makes several
 * atomic together. Errors are `StoreError`s (mapped from SQLite's).
 */
export interface StoreBackend {
  readonly location: string;
  /** Runs `fn` as one write transaction (all or nothing; exclusive across processes). */
  transaction<T>(operation: string, fn: () => T): T;
  /**
   * Applies a commit group in one transaction, in order: per run, first checks the ops' epoch
   * against the row (touching its heartbeat) and skips every op of a fenced-off epoch; skips
   * cancelled ops; evicts cache entries past `maxEntries` and expired at `now`.
   */
  commit(ops: readonly WriteOp[], now: number): FencedRuns;

  readRun(id: string): RunRow | undefined;
  insertRun(row: Omit<RunRow, "done" | "deadLetters">): void;
  claimRun(id: string, claim: ClaimRow): void;
  listRuns(filter: RunFilter, limit: number): RunRow[];
  deleteRun(id: string): boolean;

  readCheckpoint(runId: string): CheckpointRow | undefined;
  readInbox(runId: string, after: number, limit: number): InboxRow[];
  /** The highest index in the run's inbox, or -1 when it is empty. */
  inboxMaxIndex(runId: string): number;
  readTaskResults(runId: string): TaskResultRow[];
  readAddedTasks(runId: string): AddedTaskRow[];

  listDeadLetters(filter: DeadLetterFilter, after: number, limit: number): DeadLetterRow[];
  countDeadLetters(filter: DeadLetterFilter): number;
  readDeadLetter(id: number): DeadLetterRow | undefined;
  purgeDeadLetters(filter: DeadLetterFilter, ids: readonly number[] | undefined): number;
  markReplayed(ids: readonly number[], at: number): number;

  readCache(stage: string, key: string): CacheRow | undefined;
  deleteCache(stage: string, key: string | undefined): number;
  cacheSize(stage: string): number;

  /** Closes the rows' storage; later calls fail. */
  close(): Promise<void> | void;
}
