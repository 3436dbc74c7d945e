import type { Readable } from "node:stream";

/**
 * Anything a pipeline can read from: an array or other Iterable, an AsyncIterable (async
 * generators, Node Readable streams, web ReadableStreams), or a function returning one of those,
 * called when the run starts (so each run gets a fresh source).
 *
 * A function that declares a parameter, `(offset) => …`, is **seekable**: it is called with the
 * index of the first item the run wants (0, or a resumed durable run's watermark) and must return
 * the source's items from that index on. A durable run replays it from its checkpoint.
 */
export type SourceInput<T> =
  | Iterable<T>
  | AsyncIterable<T>
  | ReadableStream<T>
  | Readable
  | ((offset: number) => Iterable<T> | AsyncIterable<T> | ReadableStream<T> | Readable);
