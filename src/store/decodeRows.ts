import { StoreError } from "../errors/StoreError.js";
import type { Checkpoint } from "./Checkpoint.js";
import { decode } from "./codec.js";
import type { DeadLetterRecord } from "./DeadLetterRecord.js";
import type { PlanShape } from "./PlanShape.js";
import { RangeSet } from "./RangeSet.js";
import type { RunRecord } from "./RunRecord.js";
import type { CheckpointRow, DeadLetterRow, RunRow } from "./StoreBackend.js";
import type { StoredError } from "./StoredError.js";

/**
 * Rows to records: blobs decoded. A blob that does not decode is a corrupt store
 * (`WEIR_STORE_CORRUPT`), named with the row it came from.
 */
export function decodeBlob(location: string, bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes);
  } catch (error) {
    throw new StoreError("WEIR_STORE_CORRUPT", location, "read", `${what} does not decode`, { cause: error });
  }
}

export function runRecord(location: string, row: RunRow, live: boolean): RunRecord {
  const where = `run "${row.id}"`;
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    planHash: row.planHash,
    plan: decodeBlob(location, row.plan, `${where}: plan`) as PlanShape,
    inputs: row.inputs === undefined ? undefined : decodeBlob(location, row.inputs, `${where}: inputs`),
    state: row.state,
    owner: row.owner,
    epoch: row.epoch,
    heartbeatAt: row.heartbeatAt,
    live,
    startedAt: row.startedAt,
    updatedAt: row.updatedAt,
    endedAt: row.endedAt,
    progress: { done: row.done, total: row.total, deadLetters: row.deadLetters },
    error: row.error === undefined ? undefined : (decodeBlob(location, row.error, `${where}: error`) as StoredError),
    snapshot: row.snapshot === undefined ? undefined : decodeBlob(location, row.snapshot, `${where}: snapshot`),
  };
}

export function checkpoint(location: string, runId: string, row: CheckpointRow): Checkpoint {
  const where = `run "${runId}": checkpoint ${row.seq}`;
  let done: RangeSet;
  try {
    done = RangeSet.decode(row.done);
  } catch (error) {
    throw new StoreError("WEIR_STORE_CORRUPT", location, "read", `${where}: done ranges do not decode`, {
      cause: error,
    });
  }
  return {
    seq: row.seq,
    watermark: row.watermark,
    done,
    accumulators: decodeBlob(location, row.accumulators, `${where}: accumulators`) as Checkpoint["accumulators"],
    stageState: decodeBlob(location, row.stageState, `${where}: stage state`) as Checkpoint["stageState"],
    at: row.at,
  };
}

export function deadLetter(location: string, row: DeadLetterRow): DeadLetterRecord {
  const where = `dead letter ${row.id}`;
  return {
    id: row.id,
    runId: row.runId,
    runKind: row.runKind,
    runName: row.runName,
    key: row.key,
    stage: row.stage,
    index: row.index,
    item: decodeBlob(location, row.item, `${where}: item`),
    error: decodeBlob(location, row.error, `${where}: error`) as StoredError,
    attempts: row.attempts,
    firstFailedAt: row.firstFailedAt,
    lastFailedAt: row.lastFailedAt,
    replayedAt: row.replayedAt,
  };
}
