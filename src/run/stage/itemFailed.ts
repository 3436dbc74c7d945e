import { StageError } from "../../errors/StageError.js";
import type { ErrorPolicy } from "../../stage/StageKind.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { RunScope } from "../RunScope.js";

/**
 * Applies a stage's error policy to an item whose last attempt failed, reporting it under `stage`
 * (the stage's own name, or a later stage of its colocated chain). Returns normally when the
 * item is dropped (`skip`, `dead-letter`); throws the {@link StageError} under `fail`.
 */
export function itemFailed(
  scope: RunScope,
  counters: StageCounters,
  policy: ErrorPolicy,
  item: unknown,
  index: number,
  error: unknown,
  attempts: number,
  stage = counters.name,
): void {
  if (scope.events.has("stage:error")) {
    scope.events.emit("stage:error", { stage, index, item, error, attempt: attempts, action: policy });
  }
  if (policy === "fail") throw new StageError(stage, index, item, error, attempts);
  if (policy === "skip") {
    counters.skipped++;
    return;
  }
  counters.deadLettered++;
  scope.deadLetter({ stage, index, item, error, attempts });
}
