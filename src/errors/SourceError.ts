import { WeirError } from "./WeirError.js";

/** The source threw or rejected while being pulled. */
export class SourceError extends WeirError {
  /** The pipeline whose source failed. */
  readonly pipeline: string;
  /** How many items had been pulled before the failure. */
  readonly position: number;

  constructor(pipeline: string, position: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("WEIR_SOURCE_FAILED", `pipeline "${pipeline}": source failed after ${position} items: ${reason}`, { cause });
    this.pipeline = pipeline;
    this.position = position;
  }
}
