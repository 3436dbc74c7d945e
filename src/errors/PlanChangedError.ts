import { WeirError } from "./WeirError.js";

/**
 * A run was resumed with a different shape than it was started with (stages or tasks added,
 * removed, reordered, or with options that change results). Each change is named; pass
 * `force: true` to resume anyway.
 *
 * @example
 * ```
 * PlanChangedError: run "orders-1": the pipeline changed since the run started: "enrich" changed;
 *   "audit" added; pass force: true to resume anyway
 * ```
 */
export class PlanChangedError extends WeirError {
  /** The class name: `error.name`, and what `PlanChangedError.is(e)` matches. */
  static override readonly name: string = "PlanChangedError";
  /** The run's id. */
  readonly runId: string;
  /** One line per difference, e.g. `"enrich" changed`, `"audit" added`, `order changed`. */
  readonly changes: readonly string[];

  /**
   * @param action what `force: true` would do anyway: `"resume"` (a stored run), or `"reuse"` (a
   * workflow run's `reuse` of an earlier run's results).
   */
  constructor(runId: string, kind: string, changes: readonly string[], action: "resume" | "reuse" = "resume") {
    super(
      "WEIR_PLAN_CHANGED",
      `run "${runId}": the ${kind} changed since the run started: ${changes.join("; ")}; pass force: true to ${action} anyway`,
    );
    this.runId = runId;
    this.changes = changes;
  }
}
