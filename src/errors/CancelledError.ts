import { WeirError } from "./WeirError.js";

/**
 * The run was cancelled: its signal aborted, or `stop({ graceMs })` ran out of grace. `reason` is
 * the abort reason when one was given.
 */
export class CancelledError extends WeirError {
  /** The class name: `error.name`, and what `CancelledError.is(e)` matches. */
  static override readonly name: string = "CancelledError";
  /** The abort reason, if any. */
  readonly reason: unknown;

  constructor(what: string, reason?: unknown) {
    super("WEIR_CANCELLED", `${what} was cancelled${reason instanceof Error ? `: ${reason.message}` : ""}`, {
      cause: reason,
    });
    this.reason = reason;
  }
}
