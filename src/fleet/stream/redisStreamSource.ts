import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import {
  boolean,
  func,
  knownKeys,
  nonEmptyString,
  nonNegativeInt,
  optional,
  plainObject,
  positiveInt,
} from "../../options/validate.js";
import type { Run } from "../../run/Run.js";
import { attachRun, type RunAwareSource } from "../../source/attachRun.js";
import { ensureGroupAt } from "../redis/ensureGroup.js";
import { redisTarget, type RedisConnection, type RedisTarget } from "../redis/RedisConnection.js";
import { RedisLink } from "../redis/RedisLink.js";
import { DeliveryTracker } from "../source/DeliveryTracker.js";

/** The fields of a stream entry, as strings. */
export type StreamFields = Record<string, string>;

/**
 * Options of {@link redisStreamSource}.
 *
 * @example
 * ```ts
 * redisStreamSource({ redis: "redis://redis:6379", stream: "orders", group: "billing" })
 * ```
 */
export interface RedisStreamSourceOptions<T> {
  /** The Redis to read from (a URL or ioredis options). */
  readonly redis: RedisConnection;
  /** The stream's key. */
  readonly stream: string;
  /** The consumer group: weir processes with the same group share the stream's entries. @default "weir" */
  readonly group?: string;
  /** This reader's consumer name in the group. @default `<hostname>:<pid>:<random>` */
  readonly consumer?: string;
  /** Where a group created now starts: `"0"` every entry in the stream, `"$"` only new ones. @default "0" */
  readonly start?: "0" | "$";
  /** Entries read per call. @default 256 */
  readonly count?: number;
  /** How long a read waits for new entries before it looks again, in ms. @default 1000 */
  readonly blockMs?: number;
  /**
   * Entries pending this long on another consumer (a weir process that died) are taken over and
   * delivered here (XAUTOCLAIM); 0 never takes any over.
   * @default 60000
   */
  readonly claimIdleMs?: number;
  /** End the source when a read finds nothing new (a batch job over what the stream holds). @default false */
  readonly endWhenEmpty?: boolean;
  /** Turns an entry into an item. @default the entry's fields, as an object of strings */
  readonly decode?: (fields: StreamFields, id: string) => T;
  /** How often what ended is acknowledged, in ms. @default 100 */
  readonly ackIntervalMs?: number;
  /** How long Redis may be unreachable before the source fails. @default 30000 */
  readonly maxOutageMs?: number;
}

interface Settings<T> {
  readonly redis: RedisTarget;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly start: "0" | "$";
  readonly count: number;
  readonly blockMs: number;
  readonly claimIdleMs: number;
  readonly endWhenEmpty: boolean;
  readonly decode: (fields: StreamFields, id: string) => T;
  readonly ackIntervalMs: number;
  readonly maxOutageMs: number;
}

const KEYS = [
  "redis",
  "stream",
  "group",
  "consumer",
  "start",
  "count",
  "blockMs",
  "claimIdleMs",
  "endWhenEmpty",
  "decode",
  "ackIntervalMs",
  "maxOutageMs",
];

/**
 * A Redis stream as a pipeline source, read through a consumer group: several weir processes
 * (or other consumers) with the same group share its entries. An entry is acknowledged (XACK,
 * one call per batch) only once its item has left the pipeline: done, filtered, dead-lettered or
 * skipped. What a run still held when it failed or was stopped stays pending: a later reader with
 * the same consumer name gets it first, another consumer takes it over after `claimIdleMs`.
 * At least once: give items a key (`fields` carry one, or the entry id) and dedupe at the sink.
 *
 * Each run reads with its own connections; the source can be run again.
 *
 * @throws InvalidOptionError for invalid options
 * @example
 * ```ts
 * import { redisStreamSource } from "weir/redis";
 * await pipeline("billing").from(redisStreamSource({ redis, stream: "orders", group: "billing" }))
 *   .map(charge, { onError: "dead-letter" }).run();
 * ```
 */
export function redisStreamSource<T = StreamFields & { id: string }>(
  options: RedisStreamSourceOptions<T>,
): AsyncIterable<T> & RunAwareSource {
  return new RedisStreamSource<T>(streamSourceSettings(options));
}

function streamSourceSettings<T>(value: unknown): Settings<T> {
  const where = "redisStreamSource()";
  const o = plainObject(value, "options", where);
  knownKeys(o, KEYS, "", where);
  return {
    redis: redisTarget(o.redis, "redis", where),
    stream: nonEmptyString(o.stream, "stream", where),
    group: optional(o.group, "weir", (v) => nonEmptyString(v, "group", where)),
    consumer: optional(o.consumer, `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`, (v) =>
      nonEmptyString(v, "consumer", where),
    ),
    start: optional(o.start, "0" as const, (v) => {
      if (v === "0" || v === "$") return v;
      throw new InvalidOptionError("start", '"0" or "$"', v, where);
    }),
    count: optional(o.count, 256, (v) => positiveInt(v, "count", where)),
    blockMs: optional(o.blockMs, 1000, (v) => positiveInt(v, "blockMs", where)),
    claimIdleMs: optional(o.claimIdleMs, 60_000, (v) => nonNegativeInt(v, "claimIdleMs", where)),
    endWhenEmpty: optional(o.endWhenEmpty, false, (v) => boolean(v, "endWhenEmpty", where)),
    decode: optional(o.decode, ((fields: StreamFields, id: string) => ({ ...fields, id })) as never, (v) =>
      func<(fields: StreamFields, id: string) => T>(v, "decode", where),
    ),
    ackIntervalMs: optional(o.ackIntervalMs, 100, (v) => positiveInt(v, "ackIntervalMs", where)),
    maxOutageMs: optional(o.maxOutageMs, 30_000, (v) => positiveInt(v, "maxOutageMs", where)),
  };
}

class RedisStreamSource<T> implements AsyncIterable<T>, RunAwareSource {
  readonly #settings: Settings<T>;
  /** The session opened last, waiting for its run. */
  #opened: StreamSession<T> | undefined;

  constructor(settings: Settings<T>) {
    this.#settings = settings;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const session = new StreamSession(this.#settings);
    this.#opened = session;
    return session;
  }

  [attachRun](run: Run): (() => Promise<void>) | undefined {
    const session = this.#opened;
    this.#opened = undefined;
    return session?.attach(run);
  }
}

/** One run's reading of the stream. */
class StreamSession<T> implements AsyncIterator<T> {
  readonly #s: Settings<T>;
  readonly #reader: RedisLink;
  readonly #commands: RedisLink;
  readonly #tracker: DeliveryTracker<string>;
  readonly #buffer: Array<[string, Buffer[] | string[]]> = [];
  #started = false;
  #history = true;
  #lastClaim = 0;
  #done = false;

  constructor(settings: Settings<T>) {
    this.#s = settings;
    const where = `stream source "${settings.stream}"`;
    this.#reader = new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: "weir-source" });
    this.#commands = new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: "weir-source" });
    this.#tracker = new DeliveryTracker<string>((ended) => this.#ack(ended.map(([id]) => id)));
  }

  /** Follows `run`; returns what the run awaits at its end: the last acknowledgements, then closing. */
  attach(run: Run): () => Promise<void> {
    const settle = this.#tracker.attach(run, this.#s.ackIntervalMs);
    return async () => {
      await settle();
      await this.#close();
    };
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#done) return { done: true, value: undefined };
      const entry = this.#buffer.shift();
      if (entry !== undefined) {
        const [id, fields] = entry;
        this.#tracker.delivered(id);
        return { done: false, value: this.#s.decode(toFields(fields), id) };
      }
      const more = await this.#fill();
      if (!more && this.#s.endWhenEmpty) {
        this.#done = true;
        return { done: true, value: undefined };
      }
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.#done = true;
    // interrupts a blocked read; acknowledgements go on the other connection, until the run ends
    await this.#reader.close(0);
    if (!this.#tracker.attached) await this.#close();
    return { done: true, value: undefined };
  }

  /** Reads more entries: this consumer's own pending ones first, then claimed ones, then new ones. */
  async #fill(): Promise<boolean> {
    const s = this.#s;
    const reader = this.#reader.client;
    try {
      if (!this.#started) {
        await this.#reader.ready();
        await ensureGroupAt(reader, s.stream, s.group, s.start);
        this.#started = true;
      }
      if (this.#history) {
        const own = await this.#read("0", false);
        if (own.length === 0) this.#history = false;
        else return this.#keep(own);
      }
      if (s.claimIdleMs > 0 && Date.now() - this.#lastClaim >= s.claimIdleMs / 2) {
        this.#lastClaim = Date.now();
        const claimed = (await this.#commands.client.xautoclaim(
          s.stream,
          s.group,
          s.consumer,
          s.claimIdleMs,
          "0-0",
          "COUNT",
          s.count,
        )) as [string, Array<[string, string[] | null]>, string[]];
        if (claimed[1].length > 0) return this.#keep(claimed[1]);
      }
      return this.#keep(await this.#read(">", true));
    } catch (error) {
      if (this.#done) return false;
      throw this.#reader.explain(error);
    }
  }

  async #read(id: string, block: boolean): Promise<Array<[string, string[] | null]>> {
    const s = this.#s;
    const result = (await this.#reader.client.xreadgroup(
      "GROUP",
      s.group,
      s.consumer,
      "COUNT",
      s.count,
      ...((block ? ["BLOCK", s.blockMs] : []) as ["BLOCK", number]),
      "STREAMS",
      s.stream,
      id,
    )) as Array<[string, Array<[string, string[] | null]>]> | null;
    return result?.[0]?.[1] ?? [];
  }

  /** Buffers entries; one deleted from the stream meanwhile (no fields) is acknowledged and skipped. */
  #keep(entries: Array<[string, string[] | null]>): boolean {
    const gone: string[] = [];
    for (const [id, fields] of entries) {
      if (fields === null) gone.push(id);
      else this.#buffer.push([id, fields]);
    }
    if (gone.length > 0) void this.#ack(gone);
    return entries.length > 0;
  }

  async #ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += 1000)
      await this.#commands.client.xack(this.#s.stream, this.#s.group, ...ids.slice(i, i + 1000));
  }

  async #close(): Promise<void> {
    await Promise.all([this.#reader.close(0), this.#commands.close()]);
  }
}

function toFields(list: Buffer[] | string[]): StreamFields {
  const fields: StreamFields = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = String(list[i + 1]);
  return fields;
}
