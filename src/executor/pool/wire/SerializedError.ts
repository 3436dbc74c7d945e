import { BatchResultError } from "../../../errors/BatchResultError.js";
import { rebuildWireError } from "./wireValueErrors.js";

/**
 * An error as it crosses a thread or process boundary: the fields that make it useful on the
 * other side, in a form every encoder keeps. A thrown non-Error value travels in `value`.
 */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: string | number | undefined;
  /** Other own fields with primitive values (e.g. `errno`, `status`). */
  readonly props: Record<string, string | number | boolean | null> | undefined;
  /** The cause, serialized (one level deep). */
  readonly cause: SerializedError | undefined;
  /** Set when the thrown value was not an Error: the value itself. */
  readonly value?: unknown;
  readonly isError: boolean;
}

const SKIP = new Set(["name", "message", "stack", "code", "cause"]);

/** Turns a thrown value into a {@link SerializedError}; `depth` bounds how many causes follow. */
export function serializeError(error: unknown, depth = 1): SerializedError {
  if (!(error instanceof Error)) {
    const primitive = error === null || (typeof error !== "object" && typeof error !== "function");
    return {
      name: "Error",
      message: String(error),
      stack: undefined,
      code: undefined,
      props: undefined,
      cause: undefined,
      value: primitive && typeof error !== "symbol" ? error : String(error),
      isError: false,
    };
  }
  let props: Record<string, string | number | boolean | null> | undefined;
  for (const key of Object.keys(error)) {
    if (SKIP.has(key)) continue;
    const v = (error as unknown as Record<string, unknown>)[key];
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      (props ??= {})[key] = v;
    }
  }
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: unknown }).cause;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof code === "string" || typeof code === "number" ? code : undefined,
    props,
    cause: cause !== undefined && depth > 0 ? serializeError(cause, depth - 1) : undefined,
    isError: true,
  };
}

/**
 * Rebuilds a thrown value from its {@link SerializedError}: an `Error` with the original name,
 * message, stack, code and primitive fields (its class is not restored), or the original
 * non-Error value. A result that could not cross back, once its handle named its stage and item,
 * is rebuilt as the coded weir error it stands for (see wireValueErrors), and a `mapBatch`
 * function's result of the wrong length as a {@link BatchResultError}.
 */
export function rebuildError(s: SerializedError): unknown {
  if (!s.isError) return s.value;
  const cause = s.cause === undefined ? undefined : rebuildError(s.cause);
  const wire = rebuildWireError(s, cause) ?? rebuildBatchResult(s);
  if (wire !== undefined) return wire;
  const error = new Error(s.message, s.cause === undefined ? undefined : { cause });
  Object.defineProperty(error, "name", { value: s.name, writable: true, configurable: true, enumerable: false });
  if (s.stack !== undefined) error.stack = s.stack;
  const target = error as unknown as Record<string, unknown>;
  if (s.code !== undefined) target.code = s.code;
  if (s.props !== undefined) for (const [k, v] of Object.entries(s.props)) target[k] = v;
  return error;
}

/** The {@link BatchResultError} a worker's chain threw, as the parent's class; undefined for another error. */
function rebuildBatchResult(s: SerializedError): BatchResultError | undefined {
  const p = s.props;
  if (s.code !== "WEIR_BATCH_RESULT" || s.name !== BatchResultError.name || p === undefined) return undefined;
  const { stage, expected, received } = p;
  if (typeof stage !== "string" || typeof expected !== "number") return undefined;
  if (typeof received !== "number" && typeof received !== "string") return undefined;
  const error = BatchResultError.fromReport(stage, expected, received);
  if (s.stack !== undefined) error.stack = s.stack;
  return error;
}
