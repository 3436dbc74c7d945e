/**
 * Errors for values that cannot cross the wire between a pool and its workers: an item that
 * cannot be sent (made in the parent, which knows its stage and index), and a result that cannot
 * come back (reported by the worker, which knows neither, with a code its handle recognises: it
 * adds the stage and index, see BatchLabels, and {@link rebuildWireError} rebuilds the class).
 */
import { ItemNotSerializableError } from "../../../errors/ItemNotSerializableError.js";
import { ItemTooLargeError } from "../../../errors/ItemTooLargeError.js";
import type { BatchLabels } from "../handle/BatchLabels.js";
import { FrameTooLargeError } from "./FrameTooLargeError.js";
import type { SerializedError } from "./SerializedError.js";
import type { BatchMessage } from "./WireMessage.js";

type Context = "worker" | "process";

const NOT_SERIALIZABLE = "WEIR_ITEM_NOT_SERIALIZABLE";
const TOO_LARGE = "WEIR_ITEM_TOO_LARGE";

/** True for the codes a worker gives a result that cannot come back. */
export function isResultWireCode(code: unknown): boolean {
  return code === NOT_SERIALIZABLE || code === TOO_LARGE;
}

/**
 * The error for a batch that could not be sent because of `error`: about the item that cannot
 * cross (found by `check`, which throws for a value that cannot cross, on this rare path only).
 * A batch of several items is sent again item by item by its pool, so only the culprit fails.
 */
export function unsendableBatch(
  context: Context,
  labels: BatchLabels,
  m: BatchMessage,
  error: unknown,
  check: (value: unknown) => void,
): Error {
  let k = 0;
  let cause = error;
  if (m.x.length > 1) {
    for (let j = 0; j < m.x.length; j++) {
      try {
        check(m.x[j]);
      } catch (e) {
        k = j;
        cause = e;
        break;
      }
    }
  }
  const [stage, index] = labels.label(m, k);
  if (cause instanceof FrameTooLargeError)
    return new ItemTooLargeError(stage, index, "item", cause.bytes, cause.limitBytes);
  return new ItemNotSerializableError(stage, index, "item", context, cause);
}

/** What a worker reports for a result that `error` kept from crossing back (its stage and index are added by the parent). */
export function unsendableResult(context: Context, error: unknown): Error {
  if (error instanceof FrameTooLargeError) {
    return Object.assign(new Error(error.message), {
      code: TOO_LARGE,
      direction: "result",
      bytes: error.bytes,
      limitBytes: error.limitBytes,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(message, { cause: error }), { code: NOT_SERIALIZABLE, direction: "result", context });
}

/**
 * The coded error a serialized wire error stands for, once its stage and index are known;
 * undefined for any other error (rebuilt as a plain `Error`).
 */
export function rebuildWireError(s: SerializedError, cause: unknown): Error | undefined {
  if (!isResultWireCode(s.code) || s.props === undefined) return undefined;
  const { stage, index, direction, context, bytes, limitBytes } = s.props;
  if (typeof stage !== "string" || typeof index !== "number" || (direction !== "item" && direction !== "result")) {
    return undefined;
  }
  if (s.code === TOO_LARGE) {
    if (typeof bytes !== "number" || typeof limitBytes !== "number") return undefined;
    return new ItemTooLargeError(stage, index, direction, bytes, limitBytes);
  }
  if (context !== "worker" && context !== "process") return undefined;
  return new ItemNotSerializableError(stage, index, direction, context, cause);
}
