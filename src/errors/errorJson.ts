import { describeValue } from "./describeValue.js";

/**
 * What `JSON.stringify` writes for a weir error: `name`, `code`, `message`, its own enumerable
 * fields (stage, index, attempts…) and its `cause`, each made safe to serialize. Never the item a
 * stage failed on (it is not an own enumerable field), never a stack, and never a throw: a field
 * JSON could not take (a BigInt, a cycle, a user's object) is written as a short description.
 */
export function errorJson(error: Error & { readonly code: string }): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, code: error.code, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (key in out || value === undefined) continue;
    out[key] = jsonValue(value);
  }
  if (error.cause !== undefined) out.cause = jsonValue(error.cause);
  return out;
}

/**
 * A JSON-safe rendering of a field or cause: primitives and arrays of primitives as they are, an
 * error as its own JSON (a weir error's `toJSON`) or `{ name, message, code }`, anything else
 * described in words (`"a Map"`, `"an object"`): a user's value may be large, cyclic or private.
 */
function jsonValue(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value) && value.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v)))
    return value;
  if (value instanceof Error) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return toJSON.call(value) as unknown;
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    };
  }
  return describeValue(value);
}
