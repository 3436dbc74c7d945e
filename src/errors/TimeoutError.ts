import { WeirError } from "./WeirError.js";

/** An attempt ran past its `timeoutMs`. The item's `ctx.signal` was aborted with this error. */
export class TimeoutError extends WeirError {
  /** The class name: `error.name`, and what `TimeoutError.is(e)` matches. */
  static override readonly name: string = "TimeoutError";
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super("WEIR_TIMEOUT", `${what} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}
