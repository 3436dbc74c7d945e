import { nonEmptyString, nonNegativeInt, plainObject } from "../options/validate.js";
import { encode } from "./codec.js";
import type { NewDeadLetter } from "./DeadLetterRecord.js";
import type { RunKind } from "./RunRecord.js";
import { storedError } from "./StoredError.js";
import type { DeadLetterOp } from "./WriteOp.js";

/**
 * A dead letter of `run` as a write: validated (names the field), the item encoded (a
 * `SerializationError` when msgpack cannot carry it), the error flattened with its cause chain.
 */
export function deadLetterOp(
  letter: NewDeadLetter,
  run: { readonly id: string; readonly epoch: number; readonly kind: RunKind; readonly name: string },
  now: number,
): DeadLetterOp {
  const runWhere = `run "${run.id}"`;
  const given = plainObject(letter, "dead letter", runWhere);
  const key = nonEmptyString(given["key"], "key", runWhere);
  const stage = nonEmptyString(given["stage"], "stage", runWhere);
  const where = `${runWhere}: stage "${stage}"`;
  const error = storedError(letter.error);
  return {
    kind: "dead-letter",
    runId: run.id,
    epoch: run.epoch,
    cancelled: false,
    runKind: run.kind,
    runName: run.name,
    key,
    stage,
    index: letter.index === undefined ? undefined : nonNegativeInt(letter.index, "index", where),
    item: encode(letter.item, "dead letter item", where),
    errorName: error.name,
    errorCode: error.code,
    errorMessage: error.message,
    error: encode(error, "dead letter error", where),
    attempts: nonNegativeInt(letter.attempts, "attempts", where),
    firstFailedAt: nonNegativeInt(letter.firstFailedAt, "firstFailedAt", where),
    lastFailedAt: letter.lastFailedAt === undefined ? now : nonNegativeInt(letter.lastFailedAt, "lastFailedAt", where),
  };
}
