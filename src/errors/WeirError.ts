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
  | "WEIR_BATCH_RESULT"
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
  | "WEIR_TYPESCRIPT_UNSUPPORTED"
  | "WEIR_OPTIONAL_DEPENDENCY_MISSING"
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
  | "WEIR_INJECTED_FAULT"
  | "WEIR_LISTEN_FAILED"
  | "WEIR_DASHBOARD_TOKEN"
  | "WEIR_DASHBOARD_CSRF"
  | "WEIR_DASHBOARD_HOST"
  | "WEIR_DASHBOARD_NOT_FOUND"
  | "WEIR_DASHBOARD_BAD_REQUEST"
  | "WEIR_DASHBOARD_UNSUPPORTED"
  | "WEIR_DASHBOARD_LISTEN";

import { errorJson } from "./errorJson.js";

/** `true` on every weir error (what copies of the package before class brands check). */
const brand = Symbol.for("weir.error");
/**
 * The names of an error's classes, its own first, up to `WeirError` (e.g. `["StageError",
 * "WeirError"]`): what `X.is(e)` checks, so it works across copies of the package.
 */
const classesKey = Symbol.for("weir.error.classes");
const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

/** Class-name lists, one per error class (shared, frozen). */
const classLists = new WeakMap<object, readonly string[]>();

/** The static `name`s of `ctor` and its ancestors up to `WeirError`, own first. */
function classNames(ctor: abstract new (...args: never[]) => unknown): readonly string[] {
  let names = classLists.get(ctor);
  if (names === undefined) {
    const list: string[] = [];
    for (let c: unknown = ctor; typeof c === "function" && c !== Error; c = Object.getPrototypeOf(c)) {
      list.push((c as { name: string }).name);
    }
    names = Object.freeze(list);
    classLists.set(ctor, names);
  }
  return names;
}

/**
 * Base class of every error weir throws. Each subclass has a stable {@link WeirError.code}.
 *
 * `WeirError.is(e)`, `StageError.is(e)`, … recognise an error of that class (or a subclass) even
 * across two copies of the package, where `instanceof` fails: each error records the names of its
 * classes under a global-registry symbol when it is built, and `is` checks the list. A subclass
 * gets this by declaring its name: `static override readonly name = "MyError"` (explicit, so
 * that minified code keeps it). `error.name` is that name too.
 *
 * @example
 * ```ts
 * try { await run; } catch (e) { if (StageError.is(e)) console.log(e.stage, e.index); }
 * ```
 */
export class WeirError extends Error {
  /** The class's name: what `error.name` says and what {@link WeirError.is} matches. */
  static override readonly name: string = "WeirError";

  /** Stable, documented code: match on this, not on the message. */
  readonly code: WeirErrorCode;

  constructor(code: WeirErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
    Object.defineProperty(this, classesKey, { value: classNames(new.target) });
  }

  /** The error's class name (its class's static `name`): `"StageError"`, `"TimeoutError"`… */
  override get name(): string {
    return (this as unknown as Record<symbol, readonly string[]>)[classesKey]![0]!;
  }

  /**
   * What `JSON.stringify(error)` writes: `name`, `code`, `message`, the error's fields and its
   * `cause` (JSON-safe; an error as `{ name, message, code }`). Never the item a stage failed on:
   * read `error.item` for that (see "Items stay out of logs" in docs/errors.md).
   *
   * @example
   * ```ts
   * JSON.stringify(stageError)
   * // {"name":"StageError","code":"WEIR_STAGE_FAILED","message":"stage \"parse\" failed on item 1: …",
   * //  "stage":"parse","index":1,"attempts":1,"cause":{…}}
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

  /**
   * True when `value` is an error of this class or a subclass, from this copy of the package or
   * another: `WeirError.is(e)` for any weir error, `StageError.is(e)` for a stage's, and so on.
   * (A weir error from a copy older than class brands answers only to `WeirError.is`.)
   *
   * @example
   * ```ts
   * if (TimeoutError.is(e.cause)) console.log(`gave up after ${e.cause.timeoutMs} ms`);
   * ```
   */
  static is<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (typeof value !== "object" || value === null) return false;
    const name = (this as unknown as { readonly name: string }).name;
    const classes = (value as Record<symbol, unknown>)[classesKey];
    if (Array.isArray(classes)) return classes.includes(name);
    return name === "WeirError" && (value as Record<symbol, unknown>)[brand] === true;
  }
}
