import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { SourceError } from "../errors/SourceError.js";
import { ArrayReader } from "./ArrayReader.js";
import { AsyncIteratorReader } from "./AsyncIteratorReader.js";
import { IteratorReader } from "./IteratorReader.js";
import { describeSource } from "./describeSource.js";
import { isWebStream } from "./isSourceInput.js";
import type { SourceInput } from "./SourceInput.js";
import type { SourceReader } from "./SourceReader.js";

/**
 * Opens a reader over a source; a function source is called now. A web ReadableStream is read
 * through its own reader, so stopping the run cancels the stream even while a read is pending;
 * a Node Readable is destroyed when the run stops reading it.
 * @throws SourceError when a function source throws; InvalidOptionError when it returns no source
 */
export function openSource<T>(input: SourceInput<T>, pipeline: string): SourceReader<T> {
  let value: unknown = input;
  if (typeof input === "function") {
    try {
      value = input(0);
    } catch (error) {
      throw new SourceError(pipeline, 0, error, 0, describeSource(input));
    }
  }
  if (Array.isArray(value)) return new ArrayReader(value as T[]);
  if (value !== null && typeof value === "object") {
    if (isWebStream(value)) {
      const stream = value as ReadableStream<T>;
      if (stream.locked) {
        throw new InvalidOptionError(
          "from",
          "an unlocked ReadableStream (a stream is read once: give a function returning a fresh one to run again)",
          "a locked ReadableStream",
          `pipeline "${pipeline}"`,
        );
      }
      return webStreamReader(stream);
    }
    if (isNodeReadable(value)) {
      const stream = value;
      return new AsyncIteratorReader<T>(
        (value as AsyncIterable<T>)[Symbol.asyncIterator](),
        () => void stream.destroy(),
      );
    }
    if (Symbol.asyncIterator in value)
      return new AsyncIteratorReader((value as AsyncIterable<T>)[Symbol.asyncIterator]());
    if (Symbol.iterator in value) return new IteratorReader(value as Iterable<T>);
  }
  throw new InvalidOptionError(
    "from",
    "an Iterable, AsyncIterable, ReadableStream, Node Readable, or a function returning one",
    value,
    `pipeline "${pipeline}"`,
  );
}

/** A Node Readable (duck-typed, so `readable-stream` copies count too). */
function isNodeReadable(value: object): value is { destroy(): unknown } & AsyncIterable<unknown> {
  const v = value as { destroy?: unknown; read?: unknown; pipe?: unknown };
  return (
    typeof v.destroy === "function" &&
    typeof v.read === "function" &&
    typeof v.pipe === "function" &&
    Symbol.asyncIterator in value
  );
}

/** Reads a web stream through a reader of its own; closing cancels the stream (a pending read then ends). */
function webStreamReader<T>(stream: ReadableStream<T>): SourceReader<T> {
  const reader = stream.getReader();
  const iterator: AsyncIterator<T> = {
    next: () => reader.read() as Promise<IteratorResult<T>>,
  };
  return new AsyncIteratorReader(iterator, () => reader.cancel());
}
