import { WeirError, type WeirErrorCode } from "./WeirError.js";

/**
 * The pipeline's shape is wrong: no source, a stage added after a sink, a duplicate stage name,
 * an unknown branch. Thrown when the pipeline is defined.
 */
export class InvalidPipelineError extends WeirError {
  /** The pipeline's name. */
  readonly pipeline: string;

  constructor(pipeline: string, message: string, code: WeirErrorCode = "WEIR_INVALID_PIPELINE") {
    super(code, `pipeline "${pipeline}": ${message}`);
    this.pipeline = pipeline;
  }
}
