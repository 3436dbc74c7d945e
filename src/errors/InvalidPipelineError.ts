import { WeirError, type WeirErrorCode } from "./WeirError.js";

/**
 * The pipeline's shape is wrong: no source, a stage added after a sink, a duplicate stage name,
 * an unknown branch. Thrown when the pipeline is defined.
 */
export class InvalidPipelineError extends WeirError {
  /** The class name: `error.name`, and what `InvalidPipelineError.is(e)` matches. */
  static override readonly name: string = "InvalidPipelineError";
  /** The pipeline's name. */
  readonly pipeline: string;

  constructor(pipeline: string, message: string, code: WeirErrorCode = "WEIR_INVALID_PIPELINE") {
    super(code, `pipeline "${pipeline}": ${message}`);
    this.pipeline = pipeline;
  }
}
