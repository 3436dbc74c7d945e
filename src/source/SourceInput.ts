import type { Readable } from "node:stream";

/**
 * Anything a pipeline can read from: an array or other Iterable, an AsyncIterable (async
 * generators, Node Readable streams, web ReadableStreams), or a function returning one of those,
 * called when the run starts (so each run gets a fresh source).
 */
export type SourceInput<T> =
  | Iterable<T>
  | AsyncIterable<T>
  | ReadableStream<T>
  | Readable
  | (() => Iterable<T> | AsyncIterable<T> | ReadableStream<T> | Readable);
