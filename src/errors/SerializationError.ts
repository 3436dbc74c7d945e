import { WeirError } from "./WeirError.js";

/**
 * A value could not be written to the durable store: msgpack cannot carry it (a function, a symbol,
 * a cycle). Thrown synchronously by the call that was given the value; nothing was queued, so the
 * caller decides what to do (keep a dead letter in memory and emit a warning event, fail a task
 * before it is marked done).
 *
 * @example
 * ```
 * SerializationError: run "orders-1": dead letter item of stage "enrich" cannot be stored: a function cannot be stored
 * ```
 */
export class SerializationError extends WeirError {
  /** The class name: `error.name`, and what `SerializationError.is(e)` matches. */
  static override readonly name: string = "SerializationError";
  /** What was being stored: `"dead letter item"`, `"task result"`, `"inbox item"`, `"checkpoint"`, `"cache value"`… */
  readonly what: string;
  /** Where it came from (`run "id": stage "name"`), when known. */
  readonly where: string | undefined;

  constructor(what: string, cause: unknown, where?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("WEIR_NOT_SERIALIZABLE", `${where === undefined ? "" : `${where}: `}${what} cannot be stored: ${reason}`, {
      cause,
    });
    this.what = what;
    this.where = where;
  }
}
