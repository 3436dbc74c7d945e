import type { DeadLetterFilter } from "../DeadLetterRecord.js";
import type { RunKind, StoredRunState } from "../RunRecord.js";
import type { DeadLetterRow, RunRow } from "../StoreBackend.js";
import type { Row } from "./statements.js";

/** The runs table's columns, and each run's progress and dead-letter count, for a `runs r` query. */
export const runColumns = `r.*,
  CASE r.kind WHEN 'workflow' THEN (SELECT count(*) FROM task_results t WHERE t.run_id = r.id)
    ELSE coalesce((SELECT c.done_count FROM checkpoints c WHERE c.run_id = r.id), 0) END AS done,
  CASE WHEN r.kind = 'workflow' AND r.total IS NOT NULL
    THEN r.total + (SELECT count(*) FROM added_tasks a WHERE a.run_id = r.id) ELSE r.total END AS total_now,
  (SELECT count(*) FROM dead_letters d WHERE d.run_id = r.id) AS dead_letter_count`;

/** `WHERE a = ? AND b IS NULL …` over the conditions that apply, and their parameters. */
export class Where {
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

export function deadLetterWhere(filter: DeadLetterFilter): Where {
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

/** A runs row (with `runColumns`) as a backend row. */
export function runRow(row: Row): RunRow {
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

/** A dead_letters row as a backend row. */
export function deadLetterRow(row: Row): DeadLetterRow {
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
