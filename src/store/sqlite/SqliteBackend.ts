import type Database from "better-sqlite3";
import type { DeadLetterFilter } from "../DeadLetterRecord.js";
import type { RunFilter } from "../RunRecord.js";
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
import { applyGroup, opBytes } from "./applyGroup.js";
import { deadLetterRow, deadLetterWhere, runColumns, runRow, Where } from "./rows.js";
import type { SqliteSettings } from "./SqliteSettings.js";
import type { Row, Statement } from "./statements.js";
import { toStoreError } from "./toStoreError.js";
import type { WalCheckpointer } from "./WalCheckpointer.js";

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
    const commit = db.transaction((ops: readonly WriteOp[], now: number) =>
      applyGroup((sql) => this.#statement(sql), ops, now, db),
    );
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
