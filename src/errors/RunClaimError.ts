import { WeirError, type WeirErrorCode } from "./WeirError.js";

/** The codes a {@link RunClaimError} carries. */
export type RunClaimErrorCode = Extract<WeirErrorCode, "WEIR_RUN_NOT_FOUND" | "WEIR_RUN_EXISTS" | "WEIR_RUN_OWNED">;

/**
 * A run could not be created or resumed: no such run (`WEIR_RUN_NOT_FOUND`: also when the id
 * belongs to a run of the other kind), the id is taken (`WEIR_RUN_EXISTS`), or a live process owns
 * it (`WEIR_RUN_OWNED`: pass `takeover: true` to fence that owner off).
 *
 * @example
 * ```
 * RunClaimError: run "nightly-7": owned by pid 4242 on host "build-1" (epoch 3, heartbeat 0.4 s ago); pass takeover: true to fence it off
 * ```
 */
export class RunClaimError extends WeirError {
  /** The class name: `error.name`, and what `RunClaimError.is(e)` matches. */
  static override readonly name: string = "RunClaimError";
  declare readonly code: RunClaimErrorCode;
  /** The run's id. */
  readonly runId: string;

  constructor(code: RunClaimErrorCode, runId: string, reason: string) {
    super(code, `run "${runId}": ${reason}`);
    this.runId = runId;
  }
}
