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
  // a keyed run's flatMap child travels under an id: its source index plus a fraction (ChildKeys)
  const id = index;
  index = Math.floor(index);
  if (scope.events.has("stage:error")) {
    scope.events.emit("stage:error", { stage, index, item, error, attempt: attempts, action: policy });
  }
  if (policy === "fail") throw new StageError(stage, index, item, error, attempts);
  if (policy === "skip") {
    counters.skipped++;
    return;
  }
  counters.deadLettered++;
  if (id === index) scope.deadLetter({ stage, index, item, error, attempts });
  else scope.deadLetter({ stage, index, item, error, attempts }, id);
}
