import type { SourceInput } from "./SourceInput.js";

/**
 * How errors name a pipeline's source: `source function "readOrders"` for a function source (its
 * name is what a reader finds in their code), else the kind of value (`source (an async
 * iterable)`). Checked without reading or calling anything.
 */
export function describeSource(input: SourceInput<unknown>): string {
  if (typeof input === "function")
    return input.name === "" ? "source function (anonymous)" : `source function "${input.name}"`;
  if (Array.isArray(input)) return "source (an array)";
  if (typeof input === "string") return "source (a string)";
  if (input === null || typeof input !== "object") return "source";
  if (typeof (input as Partial<ReadableStream>).getReader === "function") return "source (a ReadableStream)";
  if (typeof (input as { pipe?: unknown }).pipe === "function") return "source (a Node Readable)";
  if (Symbol.asyncIterator in input) return "source (an async iterable)";
  return "source (an iterable)";
}
