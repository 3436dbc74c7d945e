import { WeirError } from "./WeirError.js";

/**
 * A stage failed an item under `onError: "fail"` (the default), which stops the run. Carries the
 * stage name, the item's index in the source, the item itself and the original error as `cause`.
 *
 * @example
 * ```ts
 * run.catch((e) => { if (e instanceof StageError) console.log(e.stage, e.index, e.cause); });
 * ```
 */
export class StageError extends WeirError {
  /** Name of the stage that failed. */
  readonly stage: string;
  /** Index (0-based) of the source item the failing item derives from; -1 when not known. */
  readonly index: number;
  /** The item the stage was processing. */
  readonly item: unknown;
  /** How many attempts were made. */
  readonly attempts: number;

  constructor(stage: string, index: number, item: unknown, cause: unknown, attempts = 1) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "WEIR_STAGE_FAILED",
      `stage "${stage}" failed on item ${index}${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${reason}`,
      { cause },
    );
    this.stage = stage;
    this.index = index;
    this.item = item;
    this.attempts = attempts;
  }
}
