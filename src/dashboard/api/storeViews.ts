import type { DeadLetterRecord } from "../../store/DeadLetterRecord.js";
import type { RunRecord } from "../../store/RunRecord.js";
import type { RunSummary } from "../live/RunSummary.js";
import { jsonSafe } from "./jsonSafe.js";

/** A store's run as a row of the runs page: a `running` run whose owner is gone shows as `interrupted`. */
export function storeRunSummary(r: RunRecord): RunSummary {
  const published = r.snapshot as { rate?: unknown; errors?: unknown } | undefined;
  return {
    id: r.id,
    source: "store",
    kind: r.kind,
    name: r.name,
    state: r.state === "running" && !r.live ? "interrupted" : r.state,
    done: r.progress.done,
    total: r.progress.total,
    rate: typeof published?.rate === "number" ? published.rate : undefined,
    errors: typeof published?.errors === "number" ? published.errors : undefined,
    deadLetters: r.progress.deadLetters,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    stoppable: false,
  };
}

/** A store's run as its page shows it: the row, its plan's parts, its error and what its owner published. */
export function storeRunDetail(r: RunRecord): unknown {
  return {
    kind: "stored",
    summary: storeRunSummary(r),
    runKind: r.kind,
    plan: r.plan,
    owner: r.owner,
    heartbeatAt: r.heartbeatAt,
    updatedAt: r.updatedAt,
    error: r.error,
    snapshot: jsonSafe(r.snapshot),
  };
}

/** A dead letter as a row of the list: no item, the error's first line. */
export function deadLetterRow(d: DeadLetterRecord): unknown {
  return {
    id: d.id,
    runId: d.runId,
    runName: d.runName,
    stage: d.stage,
    key: d.key,
    index: d.index,
    code: d.error.code,
    message: d.error.message.split("\n", 1)[0],
    attempts: d.attempts,
    lastFailedAt: d.lastFailedAt,
    replayedAt: d.replayedAt,
  };
}

/** A dead letter in full: the item (JSON-safe), the error with its stack and causes. */
export function deadLetterDetail(d: DeadLetterRecord): unknown {
  return { ...d, item: jsonSafe(d.item) };
}
