import type { SerializedError } from "../wire/SerializedError.js";
import {
  MSG_CANCELLED,
  MSG_CLOSING,
  MSG_LOAD_FAILED,
  MSG_OVERRAN,
  MSG_PONG,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULT,
  type FromWorker,
} from "../wire/WireMessage.js";

/** How many causes deep a serialized error may nest (the worker sends one). */
const MAX_CAUSES = 8;

/**
 * Checks that a value a worker sent is one of the messages a worker sends ({@link FromWorker}),
 * with every field the pool reads of the type it reads it as, so nothing a worker sends can
 * throw in the pool. Returns the message, or what is wrong with it. Costs a few checks per
 * message (one per batch) plus one per failed item; the result values themselves are the stage's
 * and are not looked at.
 *
 * Every message tag a worker may send is listed here: a new one must be added, or the pool takes
 * the worker that sends it for broken.
 */
export function parseFromWorker(value: unknown): FromWorker | string {
  if (!isRecord(value)) return `a message that is not an object (${describe(value)})`;
  switch (value.t) {
    case MSG_READY:
    case MSG_CLOSING:
      return value as unknown as FromWorker;
    case MSG_CANCELLED:
      if (!isIndex(value.b) || !isIndex(value.k)) return "a cancellation reply without a batch id and position";
      return value as unknown as FromWorker;
    case MSG_LOAD_FAILED:
      if (!isSerializedError(value.e, MAX_CAUSES) || (value.s !== 0 && value.s !== 1)) {
        return "a module-load failure without its error";
      }
      return value as unknown as FromWorker;
    case MSG_PONG:
      if (!isIndex(value.s)) return "a heartbeat answer without its number";
      return value as unknown as FromWorker;
    case MSG_PROGRESS:
      if (!isNote(value.b) || !isNote(value.k)) return "a progress note without a batch id and position";
      return value as unknown as FromWorker;
    case MSG_OVERRAN:
      if (!isIndex(value.b) || !isIndex(value.k)) return "an overrun note without a batch id and position";
      return value as unknown as FromWorker;
    case MSG_RESULT: {
      const wrong = resultProblem(value);
      return wrong ?? (value as unknown as FromWorker);
    }
    default:
      return `a message with an unknown tag (${describe(value.t)})`;
  }
}

function resultProblem(m: Record<string, unknown>): string | undefined {
  if (!isIndex(m.b)) return "a result without a batch id";
  if (!Array.isArray(m.v)) return `a result for batch ${m.b} without its values`;
  if (typeof m.u !== "number" || typeof m.d !== "number" || typeof m.m !== "number") {
    return `a result for batch ${m.b} without its measurements`;
  }
  if (m.o !== null && !(Array.isArray(m.o) && m.o.every(isIndex))) {
    return `a result for batch ${m.b} with malformed timed-out positions`;
  }
  if (m.r !== null && !(Array.isArray(m.r) && m.r.every(isRetryAfter))) {
    return `a result for batch ${m.b} with malformed Retry-After values`;
  }
  if (m.e !== null && !(Array.isArray(m.e) && m.e.every(isFailedItem))) {
    return `a result for batch ${m.b} with malformed failures`;
  }
  return undefined;
}

function isFailedItem(f: unknown): boolean {
  if (!Array.isArray(f) || f.length < 2 || f.length > 4) return false;
  if (!isIndex(f[0]) || !isSerializedError(f[1], MAX_CAUSES)) return false;
  return f.length === 2 || typeof f[2] === "string";
}

function isRetryAfter(p: unknown): boolean {
  return Array.isArray(p) && p.length === 2 && isIndex(p[0]) && typeof p[1] === "number";
}

/** The fields `rebuildError` reads, of the types it reads them as. */
export function isSerializedError(value: unknown, causes: number): value is SerializedError {
  if (!isRecord(value)) return false;
  const e = value as Partial<Record<keyof SerializedError, unknown>>;
  if (typeof e.name !== "string" || typeof e.message !== "string" || typeof e.isError !== "boolean") return false;
  if (e.stack !== undefined && typeof e.stack !== "string") return false;
  if (e.code !== undefined && typeof e.code !== "string" && typeof e.code !== "number") return false;
  if (e.props !== undefined) {
    if (!isRecord(e.props)) return false;
    for (const v of Object.values(e.props)) {
      if (v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return false;
    }
  }
  return e.cause === undefined || (causes > 0 && isSerializedError(e.cause, causes - 1));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A batch id or position in a progress note: -1 stands for none. */
function isNote(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= -1;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** A short description of a value, for the error (never the value itself, which may be huge). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.byteLength} bytes`;
  if (typeof value === "string") return `a string of ${value.length} characters`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
