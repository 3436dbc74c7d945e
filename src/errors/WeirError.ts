/**
 * Stable error codes. Every code is documented in `docs/errors.md`; match on `error.code`, never on
 * the message.
 */
export type WeirErrorCode =
  | "WEIR_INVALID_OPTION"
  | "WEIR_INVALID_PIPELINE"
  | "WEIR_CYCLE"
  | "WEIR_DUPLICATE_NAME"
  | "WEIR_STAGE_FAILED"
  | "WEIR_CANCELLED"
  | "WEIR_TIMEOUT"
  | "WEIR_SOURCE_FAILED"
  | "WEIR_WORKER_CRASHED"
  | "WEIR_WORKER_OUT_OF_MEMORY"
  | "WEIR_ITEM_TRANSFERRED"
  | "WEIR_CIRCUIT_OPEN"
  | "WEIR_RATE_LIMITED"
  | "WEIR_BULKHEAD_FULL"
  | "WEIR_WORKFLOW_INVALID"
  | "WEIR_TASK_FAILED"
  | "WEIR_COMPONENT_FAILED"
  | "WEIR_LOAD_FAILED"
  | "WEIR_STORE_CORRUPT"
  | "WEIR_STORE_FULL"
  | "WEIR_STORE_READ_ONLY"
  | "WEIR_STORE_IO"
  | "WEIR_STORE_BUSY"
  | "WEIR_STORE_SCHEMA_NEWER"
  | "WEIR_STORE_CLOSED"
  | "WEIR_NOT_SERIALIZABLE"
  | "WEIR_RUN_NOT_FOUND"
  | "WEIR_RUN_EXISTS"
  | "WEIR_RUN_OWNED"
  | "WEIR_RUN_FENCED"
  | "WEIR_PLAN_CHANGED";

const brand = Symbol.for("weir.error");

/**
 * Base class of every error weir throws. Each subclass has a stable {@link WeirError.code}.
 *
 * `WeirError.is(e)` recognises weir errors even across two copies of the package (it checks a
 * global-registry symbol, not the prototype chain).
 *
 * @example
 * ```ts
 * try { await run; } catch (e) { if (WeirError.is(e) && e.code === "WEIR_STAGE_FAILED") … }
 * ```
 */
export class WeirError extends Error {
  /** Stable, documented code: match on this, not on the message. */
  readonly code: WeirErrorCode;

  constructor(code: WeirErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** True when `value` is a weir error, from this copy of the package or another. */
  static is(value: unknown): value is WeirError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
