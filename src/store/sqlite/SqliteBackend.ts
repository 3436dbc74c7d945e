import type Database from "better-sqlite3";
import type { DeadLetterFilter } from "../DeadLetterRecord.js";
import type { RunFilter, RunKind, StoredRunState } from "../RunRecord.js";
import type {
  AddedTaskRow,
  CacheRow,
  CheckpointRow,
  ClaimRow,
  DeadLetterRow,
  FencedRuns,
  InboxRow,
  RunRow,
  StoreBackend,
  TaskResultRow,
} from "../StoreBackend.js";
import type { WriteOp } from "../WriteOp.js";
import { toStoreError } from "./toStoreError.js";
import type { WalCheckpointer } from "./WalCheckpointer.js";

type Row = Record<string, unknown>;

/** A SQLite store's effective settings, read from its connection (for diagnostics and tests). */
export interface SqliteSettings {
  readonly path: string;
  /** `"wal"` for a file. */
  readonly journalMode: string;
  /** `"NORMAL"` (durability "normal") or `"FULL"` (durability "fsync"). */
  readonly synchronous: "OFF" | "NORMAL" | "FULL" | "EXTRA";
  readonly busyTimeoutMs: number;
  /** 0 when WAL checkpoints run on their own thread. */
  readonly walAutoCheckpointPages: number;
  /** The size cap (SQLite's max_page_count × page_size). */
  readonly maxBytes: number;
  readonly schemaVersion: number;
}
type Statement = Database.Statement<unknown[], Row>;

const runColumns = `r.*,
  CASE r.kind WHEN 'workflow' THEN (SELECT count(*) FROM task_results t WHERE t.run_id = r.id)
    ELSE coalesce((SELECT c.done_count FROM checkpoints c WHERE c.run_id = r.id), 0) END AS done,
  CASE WHEN r.kind = 'workflow' AND r.total IS NOT NULL
    THEN r.total + (SELECT count(*) FROM added_tasks a WHERE a.run_id = r.id) ELSE r.total END AS total_now,
  (SELECT count(*) FROM dead_letters d WHERE d.run_id = r.id) AS dead_letter_count`;

/**
 * Rows in SQLite tables (schema in `schema.ts`). One connection, statements prepared once; a
 * commit group is one `BEGIN IMMEDIATE` transaction. Every error leaves as a coded `StoreError`.
 */
export class SqliteBackend implements StoreBackend {
  readonly location: string;
  readonly #db: Database.Database;
  readonly #checkpointer: WalCheckpointer | undefined;
  readonly #statements = new Map<string, Statement>();
  readonly #commitTransaction: (ops: readonly WriteOp[], now: number) => FencedRuns;

  constructor(db: Database.Database, location: string, checkpointer: WalCheckpointer | undefined) {
    this.#db = db;
    this.location = location;
    this.#checkpointer = checkpointer;
    const commit = db.transaction((ops: readonly WriteOp[], now: number) => this.#applyGroup(ops, now));
    this.#commitTransaction = (ops, now) => commit.immediate(ops, now);
  }

  transaction<T>(operation: string, fn: () => T): T {
    return this.#guard(operation, () => this.#db.transaction(fn).immediate());
  }

  commit(ops: readonly WriteOp[], now: number): FencedRuns {
    const fenced = this.#guard("commit", () => this.#commitTransaction(ops, now));
    if (this.#checkpointer !== undefined) {
      let bytes = 0;
      for (const op of ops) bytes += opBytes(op);
      this.#checkpointer.committed(bytes);
    }
    return fenced;
  }

  readRun(id: string): RunRow | undefined {
    const row = this.#get("readRun", `SELECT ${runColumns} FROM runs r WHERE r.id = ?`, id);
    return row === undefined ? undefined : runRow(row);
  }

  insertRun(row: Omit<RunRow, "done" | "deadLetters">): void {
    this.#run(
      "insertRun",
      `INSERT INTO runs (id, kind, name, plan_hash, plan, inputs, state, owner_id, owner_pid, owner_host, epoch,
         heartbeat_at, started_at, updated_at, ended_at, total, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.kind,
      row.name,
      row.planHash,
      row.plan,
      row.inputs ?? null,
      row.state,
      row.owner?.id ?? null,
      row.owner?.pid ?? null,
      row.owner?.host ?? null,
      row.epoch,
      row.heartbeatAt ?? null,
      row.startedAt,
      row.updatedAt,
      row.endedAt ?? null,
      row.total ?? null,
      row.error ?? null,
    );
  }

  claimRun(id: string, claim: ClaimRow): void {
    this.#run(
      "claimRun",
      `UPDATE runs SET owner_id = ?, owner_pid = ?, owner_host = ?, epoch = ?, heartbeat_at = ?, updated_at = ?,
         state = 'running', ended_at = NULL, error = NULL,
         plan_hash = coalesce(?, plan_hash), plan = coalesce(?, plan)
       WHERE id = ?`,
      claim.owner.id,
      claim.owner.pid,
      claim.owner.host,
      claim.epoch,
      claim.at,
      claim.at,
      claim.plan?.hash ?? null,
      claim.plan?.bytes ?? null,
      id,
    );
  }

  listRuns(filter: RunFilter, limit: number): RunRow[] {
    const where = new Where()
      .equals("r.kind = ?", filter.kind)
      .equals("r.name = ?", filter.name)
      .equals("r.state = ?", filter.state);
    const sql = `SELECT ${runColumns} FROM runs r ${where} ORDER BY r.started_at DESC, r.id DESC LIMIT ?`;
    return this.#all("listRuns", sql, ...where.params, limit).map(runRow);
  }

  deleteRun(id: string): boolean {
    for (const table of ["checkpoints", "inbox", "task_results", "added_tasks"]) {
      this.#run("deleteRun", `DELETE FROM ${table} WHERE run_id = ?`, id);
    }
    return this.#run("deleteRun", "DELETE FROM runs WHERE id = ?", id).changes > 0;
  }

  readCheckpoint(runId: string): CheckpointRow | undefined {
    const sql = `SELECT seq, watermark, done, accumulators, stage_state AS stageState, at
      FROM checkpoints WHERE run_id = ?`;
    return this.#get("readCheckpoint", sql, runId) as CheckpointRow | undefined;
  }

  readInbox(runId: string, after: number, limit: number): InboxRow[] {
    const sql = "SELECT idx AS [index], item FROM inbox WHERE run_id = ? AND idx > ? ORDER BY idx LIMIT ?";
    return this.#all("readInbox", sql, runId, after, limit) as unknown as InboxRow[];
  }

  inboxMaxIndex(runId: string): number {
    const row = this.#get("inboxMaxIndex", "SELECT max(idx) AS m FROM inbox WHERE run_id = ?", runId);
    return (row?.["m"] as number | null) ?? -1;
  }

  readTaskResults(runId: string): TaskResultRow[] {
    const sql = `SELECT task, result, attempts, completed_at AS completedAt
      FROM task_results WHERE run_id = ? ORDER BY task`;
    return this.#all("readTaskResults", sql, runId) as unknown as TaskResultRow[];
  }

  readAddedTasks(runId: string): AddedTaskRow[] {
    const sql = `SELECT seq, task, parent, spec, added_at AS addedAt FROM added_tasks WHERE run_id = ? ORDER BY seq`;
    return this.#all("readAddedTasks", sql, runId) as unknown as AddedTaskRow[];
  }

  listDeadLetters(filter: DeadLetterFilter, after: number, limit: number): DeadLetterRow[] {
    const where = deadLetterWhere(filter).equals("id > ?", after);
    const sql = `SELECT * FROM dead_letters ${where} ORDER BY id LIMIT ?`;
    return this.#all("listDeadLetters", sql, ...where.params, limit).map(deadLetterRow);
  }

  countDeadLetters(filter: DeadLetterFilter): number {
    const where = deadLetterWhere(filter);
    return this.#get("countDeadLetters", `SELECT count(*) AS n FROM dead_letters ${where}`, ...where.params)![
      "n"
    ] as number;
  }

  readDeadLetter(id: number): DeadLetterRow | undefined {
    const row = this.#get("readDeadLetter", "SELECT * FROM dead_letters WHERE id = ?", id);
    return row === undefined ? undefined : deadLetterRow(row);
  }

  purgeDeadLetters(filter: DeadLetterFilter, ids: readonly number[] | undefined): number {
    if (ids === undefined) {
      const where = deadLetterWhere(filter);
      return this.#run("purge", `DELETE FROM dead_letters ${where}`, ...where.params).changes;
    }
    let n = 0;
    for (const id of new Set(ids)) {
      const where = deadLetterWhere(filter).equals("id = ?", id);
      n += this.#run("purge", `DELETE FROM dead_letters ${where}`, ...where.params).changes;
    }
    return n;
  }

  markReplayed(ids: readonly number[], at: number): number {
    let n = 0;
    for (const id of new Set(ids)) {
      n += this.#run("markReplayed", "UPDATE dead_letters SET replayed_at = ? WHERE id = ?", at, id).changes;
    }
    return n;
  }

  readCache(stage: string, key: string): CacheRow | undefined {
    const row = this.#get(
      "readCache",
      "SELECT value, stored_at, expires_at FROM cache WHERE stage = ? AND key = ?",
      stage,
      key,
    );
    if (row === undefined) return undefined;
    return {
      value: row["value"] as Uint8Array,
      storedAt: row["stored_at"] as number,
      expiresAt: (row["expires_at"] as number | null) ?? undefined,
    };
  }

  deleteCache(stage: string, key: string | undefined): number {
    if (key === undefined) return this.#run("cache.delete", "DELETE FROM cache WHERE stage = ?", stage).changes;
    return this.#run("cache.delete", "DELETE FROM cache WHERE stage = ? AND key = ?", stage, key).changes;
  }

  cacheSize(stage: string): number {
    return this.#get("cache.size", "SELECT count(*) AS n FROM cache WHERE stage = ?", stage)!["n"] as number;
  }

  /** The connection's settings as SQLite reports them now. */
  settings(): SqliteSettings {
    return this.#guard("settings", () => {
      const pragma = (name: string): unknown => this.#db.pragma(name, { simple: true });
      const synchronous = pragma("synchronous") as number;
      return {
        path: this.location,
        journalMode: pragma("journal_mode") as string,
        synchronous: synchronous === 2 ? "FULL" : synchronous === 1 ? "NORMAL" : synchronous === 3 ? "EXTRA" : "OFF",
        busyTimeoutMs: pragma("busy_timeout") as number,
        walAutoCheckpointPages: pragma("wal_autocheckpoint") as number,
        maxBytes: (pragma("max_page_count") as number) * (pragma("page_size") as number),
        schemaVersion: pragma("user_version") as number,
      };
    });
  }

  async close(): Promise<void> {
    // the thread's connection first: the last connection to close checkpoints the WAL and removes it
    await this.#checkpointer?.close();
    this.#guard("close", () => this.#db.close());
  }

  /** One commit group; runs inside the IMMEDIATE transaction. */
  #applyGroup(ops: readonly WriteOp[], now: number): FencedRuns {
    const fenced = new Map<string, number | undefined>();
    const checked = new Set<string>();
    for (const op of ops) {
      if (op.kind === "cache-set" || checked.has(op.runId)) continue;
      checked.add(op.runId);
      // the fence and the heartbeat in one statement: no row changed means another epoch owns the run
      const touched = this.#statement(
        `UPDATE runs SET heartbeat_at = CASE WHEN owner_id IS NULL THEN heartbeat_at ELSE ? END, updated_at = ?
         WHERE id = ? AND epoch = ?`,
      ).run(now, now, op.runId, op.epoch);
      if (touched.changes === 0) {
        const row = this.#statement("SELECT epoch FROM runs WHERE id = ?").get(op.runId);
        fenced.set(op.runId, row === undefined ? undefined : (row["epoch"] as number));
      }
    }
    const evict = new Map<string, number>();
    for (const op of ops) {
      if (op.cancelled || (op.kind !== "cache-set" && fenced.has(op.runId))) continue;
      this.#applyOp(op);
      if (op.kind === "cache-set") evict.set(op.stage, op.maxEntries);
    }
    for (const [stage, maxEntries] of evict) {
      this.#statement("DELETE FROM cache WHERE stage = ? AND expires_at <= ?").run(stage, now);
      const size = this.#statement("SELECT count(*) AS n FROM cache WHERE stage = ?").get(stage)!["n"] as number;
      if (size > maxEntries) {
        this.#statement(
          "DELETE FROM cache WHERE rowid IN (SELECT rowid FROM cache INDEXED BY cache_write_order WHERE stage = ? ORDER BY rowid LIMIT ?)",
        ).run(stage, size - maxEntries);
      }
    }
    return fenced;
  }

  #applyOp(op: WriteOp): void {
    switch (op.kind) {
      case "checkpoint":
        this.#statement(
          `INSERT INTO checkpoints (run_id, seq, watermark, done, done_count, accumulators, stage_state, at)
           VALUES (?, 1, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id) DO UPDATE SET seq = seq + 1, watermark = excluded.watermark, done = excluded.done,
             done_count = excluded.done_count, accumulators = excluded.accumulators,
             stage_state = excluded.stage_state, at = excluded.at`,
        ).run(op.runId, op.watermark, op.done, op.doneCount, op.accumulators, op.stageState, op.at);
        if (op.total !== undefined) this.#statement("UPDATE runs SET total = ? WHERE id = ?").run(op.total, op.runId);
        return;
      case "inbox-add":
        this.#statement("INSERT OR REPLACE INTO inbox (run_id, idx, item) VALUES (?, ?, ?)").run(
          op.runId,
          op.index,
          op.item,
        );
        return;
      case "inbox-remove":
        this.#statement("DELETE FROM inbox WHERE run_id = ? AND idx = ?").run(op.runId, op.index);
        return;
      case "task-result":
        this.#statement(
          "INSERT OR REPLACE INTO task_results (run_id, task, result, attempts, completed_at) VALUES (?, ?, ?, ?, ?)",
        ).run(op.runId, op.task, op.result, op.attempts, op.at);
        return;
      case "task-added":
        this.#statement(
          `INSERT OR IGNORE INTO added_tasks (run_id, task, seq, parent, spec, added_at)
           VALUES (?, ?, (SELECT count(*) + 1 FROM added_tasks WHERE run_id = ?), ?, ?, ?)`,
        ).run(op.runId, op.task, op.runId, op.parent, op.spec, op.at);
        return;
      case "dead-letter":
        this.#statement(
          `INSERT INTO dead_letters (run_id, run_kind, run_name, key, stage, idx, item, error_name, error_code,
             error_message, error, attempts, first_failed_at, last_failed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          op.runId,
          op.runKind,
          op.runName,
          op.key,
          op.stage,
          op.index ?? null,
          op.item,
          op.errorName,
          op.errorCode ?? null,
          op.errorMessage,
          op.error,
          op.attempts,
          op.firstFailedAt,
          op.lastFailedAt,
        );
        return;
      case "run-end":
        this.#statement(
          `UPDATE runs SET state = ?, ended_at = ?, error = ?, owner_id = NULL, owner_pid = NULL, owner_host = NULL
           WHERE id = ?`,
        ).run(op.state, op.state === "running" ? null : op.at, op.error ?? null, op.runId);
        return;
      case "heartbeat":
        return;
      case "snapshot":
        this.#statement("UPDATE runs SET snapshot = ? WHERE id = ?").run(op.snapshot, op.runId);
        return;
      case "cache-set":
        this.#statement(
          "INSERT OR REPLACE INTO cache (stage, key, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        ).run(op.stage, op.key, op.value, op.storedAt, op.expiresAt ?? null);
        return;
    }
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], Row>(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(operation: string, sql: string, ...params: unknown[]): Row | undefined {
    return this.#guard(operation, () => this.#statement(sql).get(...params));
  }

  #all(operation: string, sql: string, ...params: unknown[]): Row[] {
    return this.#guard(operation, () => this.#statement(sql).all(...params));
  }

  #run(operation: string, sql: string, ...params: unknown[]): Database.RunResult {
    return this.#guard(operation, () => this.#statement(sql).run(...params));
  }

  #guard<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.location, operation);
    }
  }
}

/** `WHERE a = ? AND b IS NULL …` over the conditions that apply, and their parameters. */
class Where {
  readonly #clauses: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `sql` (with one `?`) when `value` is defined. */
  equals(sql: string, value: unknown): this {
    if (value !== undefined) {
      this.#clauses.push(sql);
      this.params.push(value);
    }
    return this;
  }

  /** Adds `sql` (no parameter) when `when` is true. */
  holds(sql: string, when: boolean): this {
    if (when) this.#clauses.push(sql);
    return this;
  }

  toString(): string {
    return this.#clauses.length === 0 ? "" : `WHERE ${this.#clauses.join(" AND ")}`;
  }
}

function deadLetterWhere(filter: DeadLetterFilter): Where {
  return new Where()
    .equals("run_id = ?", filter.runId)
    .equals("run_kind = ?", filter.runKind)
    .equals("run_name = ?", filter.runName)
    .equals("stage = ?", filter.stage)
    .equals("error_code = ?", filter.code)
    .equals("last_failed_at >= ?", filter.since)
    .holds("replayed_at IS NOT NULL", filter.replayed === true)
    .holds("replayed_at IS NULL", filter.replayed === false);
}

function runRow(row: Row): RunRow {
  const ownerId = row["owner_id"] as string | null;
  return {
    id: row["id"] as string,
    kind: row["kind"] as RunKind,
    name: row["name"] as string,
    planHash: row["plan_hash"] as string,
    plan: row["plan"] as Uint8Array,
    inputs: (row["inputs"] as Uint8Array | null) ?? undefined,
    state: row["state"] as StoredRunState,
    owner:
      ownerId === null
        ? undefined
        : { id: ownerId, pid: row["owner_pid"] as number, host: row["owner_host"] as string },
    epoch: row["epoch"] as number,
    heartbeatAt: (row["heartbeat_at"] as number | null) ?? undefined,
    startedAt: row["started_at"] as number,
    updatedAt: row["updated_at"] as number,
    endedAt: (row["ended_at"] as number | null) ?? undefined,
    total: (row["total_now"] as number | null) ?? undefined,
    error: (row["error"] as Uint8Array | null) ?? undefined,
    snapshot: (row["snapshot"] as Uint8Array | null) ?? undefined,
    done: row["done"] as number,
    deadLetters: row["dead_letter_count"] as number,
  };
}

function deadLetterRow(row: Row): DeadLetterRow {
  return {
    id: row["id"] as number,
    runId: row["run_id"] as string,
    runKind: row["run_kind"] as RunKind,
    runName: row["run_name"] as string,
    key: row["key"] as string,
    stage: row["stage"] as string,
    index: (row["idx"] as number | null) ?? undefined,
    item: row["item"] as Uint8Array,
    errorCode: (row["error_code"] as string | null) ?? undefined,
    error: row["error"] as Uint8Array,
    attempts: row["attempts"] as number,
    firstFailedAt: row["first_failed_at"] as number,
    lastFailedAt: row["last_failed_at"] as number,
    replayedAt: (row["replayed_at"] as number | null) ?? undefined,
  };
}

/** About how many bytes an op adds to the WAL (its blobs plus row overhead): paces WAL checkpoints. */
function opBytes(op: WriteOp): number {
  switch (op.kind) {
    case "checkpoint":
      return 100 + op.done.length + op.accumulators.length + op.stageState.length;
    case "inbox-add":
      return 40 + op.item.length;
    case "task-result":
      return 60 + op.result.length;
    case "task-added":
      return 60 + op.spec.length;
    case "dead-letter":
      return 200 + op.item.length + op.error.length;
    case "snapshot":
      return 40 + op.snapshot.length;
    case "cache-set":
      return 60 + op.key.length + op.value.length;
    default:
      return 40;
  }
}
