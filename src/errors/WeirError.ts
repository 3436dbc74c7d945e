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
  | "WEIR_ITEM_NOT_SERIALIZABLE"
  | "WEIR_ITEM_TOO_LARGE"
  | "WEIR_WORKER_PROTOCOL"
  | "WEIR_NOT_SELF_CONTAINED"
  | "WEIR_CIRCUIT_OPEN"
  | "WEIR_RATE_LIMITED"
  | "WEIR_BULKHEAD_FULL"
  | "WEIR_WORKFLOW_INVALID"
  | "WEIR_TASK_FAILED"
  | "WEIR_COMPONENT_FAILED"
  | "WEIR_LOAD_FAILED"
  | "WEIR_USAGE"
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
  | "WEIR_PLAN_CHANGED"
  | "WEIR_REDIS_UNAVAILABLE"
  | "WEIR_REDIS_AUTH"
  | "WEIR_REDIS_TLS"
  | "WEIR_FLEET_DELIVERIES"
  | "WEIR_DASHBOARD_TOKEN"
  | "WEIR_DASHBOARD_CSRF"
  | "WEIR_DASHBOARD_HOST"
  | "WEIR_DASHBOARD_NOT_FOUND"
  | "WEIR_DASHBOARD_BAD_REQUEST"
  | "WEIR_DASHBOARD_UNSUPPORTED"
  | "WEIR_DASHBOARD_LISTEN";

import { errorJson } from "./errorJson.js";

const brand = Symbol.for("weir.error");
const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

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

  /**
   * What `JSON.stringify(error)` writes: `name`, `code`, `message`, the error's fields and its
   * `cause` (JSON-safe; an error as `{ name, message, code }`). Never the item a stage failed on:
   * read `error.item` for that (see "Items stay out of logs" in docs/errors.md).
   *
   * @example
   * ```ts
   * JSON.stringify(stageError) // {"name":"StageError","code":"WEIR_STAGE_FAILED","message":"stage \"parse\" failed on item 1: …","stage":"parse","index":1,"attempts":1,"cause":{…}}
   * ```
   */
  toJSON(): Record<string, unknown> {
    return errorJson(this);
  }

  /**
   * What `util.inspect` and `console.log` show: the stack, the error's own fields and its cause,
   * as for any error, but never what is kept off its own properties (a stage's item), even with
   * `showHidden` and `getters`.
   */
  [inspectCustom](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    // a plain error of the same class name (so inspect heads it the same), holding only own fields
    const named = { [this.name]: class extends Error {} }[this.name]!;
    const shown = new named(this.message, this.cause === undefined ? undefined : { cause: this.cause });
    Object.defineProperty(shown, "name", { value: this.name, enumerable: false, configurable: true });
    if (this.stack !== undefined) shown.stack = this.stack;
    Object.assign(shown, Object.fromEntries(Object.entries(this)));
    return inspect(shown, options);
  }

  /** True when `value` is a weir error, from this copy of the package or another. */
  static is(value: unknown): value is WeirError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
