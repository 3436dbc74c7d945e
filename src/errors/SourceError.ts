import { WeirError } from "./WeirError.js";

/**
 * The source threw or rejected while being pulled, or a function source threw when called. The
 * items read before the failure still flow through the pipeline before the run rejects with it.
 */
export class SourceError extends WeirError {
  /** The class name: `error.name`, and what `SourceError.is(e)` matches. */
  static override readonly name: string = "SourceError";
  /** The pipeline whose source failed. */
  readonly pipeline: string;
  /** How many items had been pulled before the failure. */
  readonly position: number;
  /**
   * Source items that went all the way through the pipeline (to its sinks, filtered, skipped or
   * dead-lettered) before the run ended: every item with an index below this number. Equal to
   * {@link SourceError.position} when everything read before the failure drained.
   */
  readonly delivered: number;
  /** What the source is, as the message names it (`function "readOrders"`, `an async iterable`…). */
  readonly source: string;

  constructor(pipeline: string, position: number, cause: unknown, delivered = 0, source = "source") {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const through =
      position === 0 ? "" : delivered >= position ? `; all ${position} went through` : `; ${delivered} went through`;
    super(
      "WEIR_SOURCE_FAILED",
      `pipeline "${pipeline}": ${source} failed after ${position} items${through}: ${reason}`,
      { cause },
    );
    this.pipeline = pipeline;
    this.position = position;
    this.delivered = delivered;
    this.source = source;
  }
}
