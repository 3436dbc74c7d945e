import type { FencedRuns } from "../StoreBackend.js";
import type { WriteOp } from "../WriteOp.js";
import type { Statement } from "./statements.js";

/**
 * Applies one commit group, inside the caller's IMMEDIATE transaction: per run, the epoch check
 * (which also touches the heartbeat), then the ops in queue order, skipping cancelled ones and those
 * of fenced-off runs, then cache eviction. Returns the fenced-off runs.
 */
export function applyGroup(
  statement: (sql: string) => Statement,
  ops: readonly WriteOp[],
  now: number,
  connection?: unknown,
): FencedRuns {
  const fenced = new Map<string, number | undefined>();
  const checked = new Set<string>();
  for (const op of ops) {
    if (op.kind === "cache-set" || checked.has(op.runId)) continue;
    checked.add(op.runId);
    // the fence and the heartbeat in one statement: no row changed means another epoch owns the run
    const touched = statement(
      `UPDATE runs SET heartbeat_at = CASE WHEN owner_id IS NULL THEN heartbeat_at ELSE ? END, updated_at = ?
       WHERE id = ? AND epoch = ?`,
    ).run(now, now, op.runId, op.epoch);
    if (touched.changes === 0) {
      const row = statement("SELECT epoch FROM runs WHERE id = ?").get(op.runId);
      fenced.set(op.runId, row === undefined ? undefined : (row["epoch"] as number));
    }
  }
  const evict = new Map<string, number>();
  for (const op of ops) {
    if (op.cancelled || (op.kind !== "cache-set" && fenced.has(op.runId))) continue;
    if (op.kind === "sql") op.apply(connection);
    else applyOp(statement, op);
    if (op.kind === "cache-set") evict.set(op.stage, op.maxEntries);
  }
  for (const [stage, maxEntries] of evict) {
    statement("DELETE FROM cache WHERE stage = ? AND expires_at <= ?").run(stage, now);
    const size = statement("SELECT count(*) AS n FROM cache WHERE stage = ?").get(stage)!["n"] as number;
    if (size > maxEntries) {
      statement(
        "DELETE FROM cache WHERE rowid IN (SELECT rowid FROM cache INDEXED BY cache_write_order WHERE stage = ? ORDER BY rowid LIMIT ?)",
      ).run(stage, size - maxEntries);
    }
  }
  return fenced;
}

function applyOp(statement: (sql: string) => Statement, op: WriteOp): void {
  switch (op.kind) {
    case "checkpoint":
      statement(
        `INSERT INTO checkpoints (run_id, seq, watermark, done, done_count, accumulators, stage_state, at)
         VALUES (?, 1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET seq = seq + 1, watermark = excluded.watermark, done = excluded.done,
           done_count = excluded.done_count, accumulators = excluded.accumulators,
           stage_state = excluded.stage_state, at = excluded.at`,
      ).run(op.runId, op.watermark, op.done, op.doneCount, op.accumulators, op.stageState, op.at);
      if (op.total !== undefined) statement("UPDATE runs SET total = ? WHERE id = ?").run(op.total, op.runId);
      return;
    case "inbox-add":
      statement("INSERT OR REPLACE INTO inbox (run_id, idx, item) VALUES (?, ?, ?)").run(op.runId, op.index, op.item);
      return;
    case "inbox-remove":
      statement("DELETE FROM inbox WHERE run_id = ? AND idx = ?").run(op.runId, op.index);
      return;
    case "task-result":
      statement(
        "INSERT OR REPLACE INTO task_results (run_id, task, result, attempts, completed_at) VALUES (?, ?, ?, ?, ?)",
      ).run(op.runId, op.task, op.result, op.attempts, op.at);
      return;
    case "task-added":
      statement(
        `INSERT OR IGNORE INTO added_tasks (run_id, task, seq, parent, spec, added_at)
         VALUES (?, ?, (SELECT count(*) + 1 FROM added_tasks WHERE run_id = ?), ?, ?, ?)`,
      ).run(op.runId, op.task, op.runId, op.parent, op.spec, op.at);
      return;
    case "dead-letter":
      statement(
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
      statement(
        `UPDATE runs SET state = ?, ended_at = ?, error = ?, owner_id = NULL, owner_pid = NULL, owner_host = NULL
         WHERE id = ?`,
      ).run(op.state, op.state === "running" ? null : op.at, op.error ?? null, op.runId);
      return;
    case "heartbeat":
      return;
    case "snapshot":
      statement("UPDATE runs SET snapshot = ? WHERE id = ?").run(op.snapshot, op.runId);
      return;
    case "cache-set":
      statement("INSERT OR REPLACE INTO cache (stage, key, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(
        op.stage,
        op.key,
        op.value,
        op.storedAt,
        op.expiresAt ?? null,
      );
      return;
  }
}

/** About how many bytes an op adds to the WAL (its blobs plus row overhead): paces WAL checkpoints. */
export function opBytes(op: WriteOp): number {
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
