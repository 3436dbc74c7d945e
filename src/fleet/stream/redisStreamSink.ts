import { func, knownKeys, nonEmptyString, optional, plainObject, positiveInt } from "../../options/validate.js";
import { redisTarget, type RedisConnection } from "../redis/RedisConnection.js";
import { RedisLink } from "../redis/RedisLink.js";

/** What one item becomes in the stream: its fields. */
export type StreamEntry = Record<string, string | number | Buffer>;

/** Options of {@link redisStreamSink}. */
export interface RedisStreamSinkOptions<T> {
  /** The Redis to write to (a URL or ioredis options). */
  readonly redis: RedisConnection;
  /** The stream's key. */
  readonly stream: string;
  /** Trim the stream to about this many entries as it grows (`MAXLEN ~`). @default no trimming */
  readonly maxLen?: number;
  /**
   * Turns an item into the entry's fields. @default an object's own fields (objects and arrays in
   * them as JSON); any other item as `{ value: JSON }`
   */
  readonly encode?: (item: T) => StreamEntry;
  /** How long Redis may be unreachable before a write fails. @default 30000 */
  readonly maxOutageMs?: number;
}

/** A stream sink: a stage function over batches of items, and `close()` for its connection. */
export interface RedisStreamSink<T> {
  (items: readonly T[]): Promise<void>;
  /** Closes the connection (after the run). */
  close(): Promise<void>;
}

/**
 * A Redis stream as a sink: each batch of items is written with one pipelined round of `XADD`s
 * (put a `.batch()` before it). The connection opens with the first batch; `close()` it when the
 * runs are over.
 *
 * @throws InvalidOptionError for invalid options
 * @example
 * ```ts
 * const out = redisStreamSink<Order>({ redis, stream: "orders:billed", maxLen: 1_000_000 });
 * await pipeline("bill").from(orders).map(bill).batch({ size: 500, maxWaitMs: 20 }).to(out).run();
 * await out.close();
 * ```
 */
export function redisStreamSink<T>(options: RedisStreamSinkOptions<T>): RedisStreamSink<T> {
  const where = "redisStreamSink()";
  const o = plainObject(options, "options", where);
  knownKeys(o, ["redis", "stream", "maxLen", "encode", "maxOutageMs"], "", where);
  const target = redisTarget(o.redis, "redis", where);
  const stream = nonEmptyString(o.stream, "stream", where);
  const maxLen = optional(o.maxLen, undefined, (v) => positiveInt(v, "maxLen", where));
  const encode = optional(o.encode, defaultEncode as (item: T) => StreamEntry, (v) =>
    func<(item: T) => StreamEntry>(v, "encode", where),
  );
  const maxOutageMs = optional(o.maxOutageMs, 30_000, (v) => positiveInt(v, "maxOutageMs", where));
  let link: RedisLink | undefined;
  const sink = async (items: readonly T[]): Promise<void> => {
    link ??= new RedisLink(target, { where: `stream sink "${stream}"`, maxOutageMs, name: "weir-sink" });
    const pipeline = link.client.pipeline();
    for (const item of items) {
      const fields = Object.entries(encode(item)).flat();
      if (maxLen === undefined) pipeline.xadd(stream, "*", ...fields);
      else pipeline.xadd(stream, "MAXLEN", "~", maxLen, "*", ...fields);
    }
    const results = await pipeline.exec().catch((error: unknown) => {
      throw link!.explain(error);
    });
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw link.explain(failed[0]);
  };
  return Object.assign(sink, {
    close: async () => {
      await link?.close();
      link = undefined;
    },
  });
}

function defaultEncode(item: unknown): StreamEntry {
  if (item === null || typeof item !== "object" || Array.isArray(item) || item instanceof Uint8Array)
    return { value: JSON.stringify(item) };
  const out: StreamEntry = {};
  for (const [k, v] of Object.entries(item)) {
    out[k] = typeof v === "string" || typeof v === "number" || Buffer.isBuffer(v) ? v : JSON.stringify(v);
  }
  return out;
}
