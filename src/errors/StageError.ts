import { WeirError } from "./WeirError.js";

/**
 * A stage failed an item under `onError: "fail"` (the default), which stops the run. Carries the
 * stage name, the item's index in the source, the item itself and the original error as `cause`.
 *
 * The item is reachable as `error.item` but kept out of serialization and logs: it is not an own
 * property, so `JSON.stringify(error)` (see {@link WeirError.toJSON}), `util.inspect(error)` and
 * `console.log(error)` leave it out (an item may be large, or hold personal data or secrets).
 *
 * @example
 * ```ts
 * run.catch((e) => { if (e instanceof StageError) console.log(e.stage, e.index, e.cause); });
 * ```
 */
export class StageError extends WeirError {
  /** The class name: `error.name`, and what `StageError.is(e)` matches. */
  static override readonly name: string = "StageError";
  /** Name of the stage that failed. */
  readonly stage: string;
  /** Index (0-based) of the source item the failing item derives from; -1 when not known. */
  readonly index: number;
  /** How many attempts were made. */
  readonly attempts: number;
  /** The item, kept off the error's own properties (out of JSON and `util.inspect`). */
  readonly #item: unknown;

  constructor(stage: string, index: number, item: unknown, cause: unknown, attempts = 1) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "WEIR_STAGE_FAILED",
      `stage "${stage}" failed on item ${index}${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${reason}`,
      { cause },
    );
    this.stage = stage;
    this.index = index;
    this.#item = item;
    this.attempts = attempts;
  }

  /**
   * The item the stage was processing. Not serialized: `JSON.stringify` and `util.inspect` leave
   * it out; log it yourself when it is safe to.
   */
  get item(): unknown {
    return this.#item;
  }
}
