import type { FailedStep } from "../../executor/Executor.js";

/**
 * The stage and item a failure is reported under: the runner's own, or the later stage of a
 * colocated chain that failed, with what it was given (the chain's input when that could not
 * cross back).
 */
export function failedAt(stage: string, item: unknown, failedStep: FailedStep | undefined): [string, unknown] {
  if (failedStep === undefined) return [stage, item];
  return [failedStep.stage, "item" in failedStep ? failedStep.item : item];
}
