import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { ArrayReader } from "./ArrayReader.js";
import { AsyncIteratorReader } from "./AsyncIteratorReader.js";
import { IteratorReader } from "./IteratorReader.js";
import type { SourceInput } from "./SourceInput.js";
import type { SourceReader } from "./SourceReader.js";

/** True when `value` can be a pipeline source (checked when the pipeline is defined). */
export function isSourceInput(value: unknown): boolean {
  if (typeof value === "function") return true;
  if (value === null || typeof value !== "object") return typeof value === "string";
  return Symbol.iterator in value || Symbol.asyncIterator in value;
}

/** Opens a reader over a source; a function source is called now. */
export function openSource<T>(input: SourceInput<T>, pipeline: string): SourceReader<T> {
  const value: unknown = typeof input === "function" ? input() : input;
  if (Array.isArray(value)) return new ArrayReader(value as T[]);
  if (value !== null && typeof value === "object") {
    if (Symbol.asyncIterator in value) return new AsyncIteratorReader(value as AsyncIterable<T>);
    if (Symbol.iterator in value) return new IteratorReader(value as Iterable<T>);
  }
  throw new InvalidOptionError(
    "from",
    "an Iterable, AsyncIterable, ReadableStream, Node Readable, or a function returning one",
    value,
    `pipeline "${pipeline}"`,
  );
}
