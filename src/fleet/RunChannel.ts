import { randomBytes } from "node:crypto";
import type { FleetSettings } from "./FleetOptions.js";
import { FleetKeys, WORKER_GROUP } from "./protocol/FleetKeys.js";
import { fieldOf } from "./protocol/fleetScripts.js";
import {
  CONTROL_RUN_ENDED,
  packBody,
  unpackBody,
  type ControlMessage,
  type ReplyBody,
  type RequestBody,
} from "./protocol/FleetWire.js";
import { ensureGroup } from "./redis/ensureGroup.js";
import { RedisLink } from "./redis/RedisLink.js";

/** What a {@link RunChannel} tells its executor. */
export interface RunChannelEvents {
  /** A reply arrived (or one that could not be decoded: `undefined`). */
  reply(body: ReplyBody | undefined): void;
  /** A read of replies ended: room may have freed. */
  read(): void;
  /** Redis lost the run (it restarted without its data): what was in flight must be sent again. */
  lost(): void;
  /** Redis is gone for good, or refused us: every open attempt fails with `error`. */
  failed(error: unknown): void;
  /**
   * Durable runs only (its presence makes the channel re-attach): called once at start, before
   * anything is sent, with the run's request entries still in Redis and the replies on its reply
   * stream when the run's liveness key was still alive (an earlier incarnation of the run, killed,
   * left them); empty otherwise. The replies are not given to `reply` again.
   */
  adopt?(
    entries: ReadonlyArray<{ readonly id: string; readonly body: RequestBody }>,
    replies: ReadonlyArray<ReplyBody | undefined>,
  ): void;
}

/**
 * Refreshes a run's liveness key and the expiry of its reply stream and done hash, unless another
 * origin holds the run now (a durable run resumed elsewhere: its token is in the key). KEYS: run
 * key, reply stream, done hash. ARGV: token, ttl.
 */
const REFRESH = `
local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1`;

/**
 * Ends a run in Redis if this origin still holds it: deletes its liveness key, reply stream and
 * done hash, tells the workers, deletes its unanswered entries. An origin that lost the run to
 * another (a durable run resumed elsewhere while this one hung) touches nothing the new one uses.
 * KEYS: run key, reply stream, request stream, done hash. ARGV: token, control channel, "run
 * ended" message, entry ids.
 */
const END = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
redis.call('PUBLISH', ARGV[2], ARGV[3])
for i = 4, #ARGV, 1000 do
  redis.call('XDEL', KEYS[3], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 1`;

/**
 * What a stale origin must not do to a run another origin holds now, each done only while the
 * run key holds this origin's token (or is gone): delete an entry (KEYS: run key, request
 * stream; ARGV: token, "XDEL", entry id), trim the reply stream (KEYS: run key, reply stream;
 * ARGV: token, "XTRIM", "MINID", id), publish a cancellation (KEYS: run key; ARGV: token,
 * "PUBLISH", channel, message): the new origin adopted the entries, reads the replies and waits
 * for the items these would cancel.
 */
const IF_OWNED = `
local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return -1 end
if ARGV[2] == 'PUBLISH' then return redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return redis.call(ARGV[2], KEYS[2], unpack(ARGV, 3))`;

/**
 * After a read of replies, while this origin holds the run: trims the reply stream up to what
 * was read, and forgets the done records of batches settled (no copy of their entries can be
 * answered any more: see FleetExecutor). KEYS: run key, reply stream, done hash. ARGV: token,
 * last id read, batch ids.
 */
const TRIM = `
local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return -1 end
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[2])
if #ARGV > 2 then redis.call('HDEL', KEYS[3], unpack(ARGV, 3)) end
return 1`;

/** Entries read per `XRANGE` call when looking for a run's entries. */
const SCAN_PAGE = 1000;
/** How often the fleet's workers and lag are read for the stage's stats. */
const OBSERVE_EVERY_MS = 1000;
/** A consumer Redis saw within this long counts as a live worker. */
const LIVE_WITHIN_MS = 15_000;

/**
 * The Redis side of one fleet stage in one run: two connections (commands; a blocking read of
 * the reply stream), the run's liveness key refreshed every third of `runTtlMs`, request entries
 * written with one pipelined round per burst, replies read with `XREAD BLOCK` and trimmed as
 * read, cancellations published, and at the end the run's keys and unanswered entries removed.
 */
export class RunChannel {
  readonly #settings: FleetSettings;
  readonly #events: RunChannelEvents;
  readonly #stream: string;
  readonly #runId: string;
  /** This origin's value in the run key: the stage and a random token. */
  readonly #token: string;
  readonly #runKey: string;
  readonly #replyKey: string;
  readonly #doneKey: string;
  readonly #controlChannel: string;
  /** Batches settled since the last trim: their done records go with it. */
  #settled: number[] = [];
  readonly #commands: RedisLink;
  readonly #replies: RedisLink;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #observer: NodeJS.Timeout;
  /** Live workers of the export's group, at the last reading. */
  workers = 0;
  /** Entries of the export's request stream waiting for an answer, at the last reading. */
  lag = 0;
  #lastReplyId = "0-0";
  #started = false;
  #closed = false;

  constructor(stage: string, service: string, runId: string, settings: FleetSettings, events: RunChannelEvents) {
    this.#settings = settings;
    this.#events = events;
    const keys = new FleetKeys(settings.prefix);
    this.#stream = keys.requests(service);
    this.#runId = runId;
    this.#token = `${stage} ${randomBytes(9).toString("base64url")}`;
    this.#runKey = keys.run(runId);
    this.#replyKey = keys.replies(runId);
    this.#doneKey = keys.done(runId);
    this.#controlChannel = keys.control;
    const where = `fleet stage "${stage}"`;
    const link = (): RedisLink =>
      new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: "weir-origin" });
    this.#commands = link();
    this.#replies = link();
    const fail = (error: unknown): void => {
      if (!this.#closed) events.failed(error);
    };
    this.#commands.onFailure(fail);
    this.#replies.onFailure(fail);
    this.#commands.onReconnect(() => void this.#reconcile());
    this.#heartbeat = setInterval(() => this.#refresh(), Math.max(10, Math.floor(settings.runTtlMs / 3)));
    this.#heartbeat.unref();
    this.#observer = setInterval(() => void this.#observe(), OBSERVE_EVERY_MS);
    this.#observer.unref();
  }

  /** True once connected and declared: entries may be sent. */
  get started(): boolean {
    return this.#started;
  }

  /** Connects, declares the run and the export's group, and starts reading replies. */
  async start(): Promise<void> {
    try {
      await this.#commands.ready();
      if (this.#events.adopt === undefined) await this.#declare();
      else await this.#attach(this.#events.adopt);
      await this.#replies.ready();
    } catch (error) {
      if (!this.#closed) this.#events.failed(this.#commands.explain(error));
      return;
    }
    this.#started = true;
    void this.#observe();
    void this.#readReplies();
  }

  /** Writes request entries (one pipelined round); resolves with each one's entry id, or its error. */
  async send(bodies: readonly Buffer[]): Promise<Array<string | { error: unknown }>> {
    const pipeline = this.#commands.client.pipeline();
    for (const body of bodies) pipeline.xaddBuffer(this.#stream, "*", "m", body);
    try {
      const results = (await pipeline.exec()) ?? [];
      return bodies.map((_, i) => {
        const [error, id] = results[i] ?? [new Error("no reply"), null];
        return error === null ? String(id) : { error: this.#commands.explain(error) };
      });
    } catch (error) {
      const explained = this.#commands.explain(error);
      return bodies.map(() => ({ error: explained }));
    }
  }

  /**
   * Deletes an entry no worker needs any more (every item of it was cancelled), while this origin
   * holds the run; best effort.
   */
  discard(entryId: string): void {
    this.#commands.client.eval(IF_OWNED, 2, this.#runKey, this.#stream, this.#token, "XDEL", entryId).catch(ignore);
  }

  /**
   * Batch `id` is settled and no copy of its entries can come back: its done record goes with
   * the next trim (so the done hash holds what is in flight, not the whole run).
   */
  forget(id: number): void {
    if (this.#settled.length < 4000) this.#settled.push(id);
  }

  /** Publishes a control message to the workers, while this origin holds the run; best effort. */
  publish(message: ControlMessage): void {
    if (!this.#started || this.#closed) return;
    this.#commands.client
      .eval(IF_OWNED, 1, this.#runKey, this.#token, "PUBLISH", this.#controlChannel, packBody(message))
      .catch(ignore);
  }

  /**
   * Ends the run in Redis, if this origin still holds it (its token is in the run key): its
   * liveness key and reply stream deleted, `entryIds` (entries still unanswered) deleted, the
   * workers told to drop what they hold of it, in one script; then the connections close. Bounded: at most 2 s for
   * the clean-up when Redis is slow.
   */
  async close(runId: string, entryIds: readonly string[]): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#observer);
    if (this.#started && this.#commands.up) {
      const ended: ControlMessage = [CONTROL_RUN_ENDED, runId];
      const end = this.#commands.client.eval(
        END,
        4,
        this.#runKey,
        this.#replyKey,
        this.#stream,
        this.#doneKey,
        this.#token,
        this.#controlChannel,
        packBody(ended),
        ...entryIds,
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([end.catch(ignore), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    }
    await Promise.all([this.#replies.close(0), this.#commands.close()]);
  }

  /** Creates the run's liveness key and the export's consumer group (if missing). */
  async #declare(): Promise<void> {
    const client = this.#commands.client;
    await client.set(this.#runKey, this.#token, "PX", this.#settings.runTtlMs);
    await ensureGroup(client, this.#stream, WORKER_GROUP);
  }

  /**
   * A durable run's start: if the run's liveness key still lives (refreshed here in the same
   * command, so workers cannot start dropping its entries after the check), an earlier
   * incarnation's entries and unread replies are still in Redis: the entries go to `adopt`, the
   * replies are read from the start of the reply stream. Otherwise the run is declared afresh,
   * and whatever is left of it (entries workers have not dropped yet, replies) is deleted.
   */
  async #attach(adopt: NonNullable<RunChannelEvents["adopt"]>): Promise<void> {
    const client = this.#commands.client;
    const ttl = this.#settings.runTtlMs;
    const alive = (await client.set(this.#runKey, this.#token, "PX", ttl, "XX")) === "OK";
    if (!alive) {
      await client.set(this.#runKey, this.#token, "PX", ttl);
      await client.del(this.#replyKey, this.#doneKey);
    }
    await ensureGroup(client, this.#stream, WORKER_GROUP);
    const found = await this.#scan();
    if (alive) adopt(found, await this.#readAllReplies());
    else {
      adopt([], []);
      const ids = found.map((f) => f.id);
      for (let i = 0; i < ids.length; i += 1000) await client.xdel(this.#stream, ...ids.slice(i, i + 1000));
    }
  }

  /** Every reply on the run's reply stream now (read from the start; later reads go on after them). */
  async #readAllReplies(): Promise<Array<ReplyBody | undefined>> {
    const out: Array<ReplyBody | undefined> = [];
    const client = this.#commands.client;
    for (;;) {
      const start = this.#lastReplyId === "0-0" ? "-" : `(${this.#lastReplyId}`;
      const page = (await client.xrangeBuffer(this.#replyKey, start, "+", "COUNT", SCAN_PAGE)) as unknown as Array<
        [Buffer, Buffer[]]
      >;
      for (const [id, fields] of page) {
        this.#lastReplyId = id.toString();
        out.push(decodeReply(fields));
      }
      if (page.length < SCAN_PAGE) return out;
    }
  }

  /** The run's entries in the request stream (bounded by what all runs keep in flight). */
  async #scan(): Promise<Array<{ id: string; body: RequestBody }>> {
    const out: Array<{ id: string; body: RequestBody }> = [];
    const client = this.#commands.client;
    for (let start = "-"; ;) {
      const page = (await client.xrangeBuffer(this.#stream, start, "+", "COUNT", SCAN_PAGE)) as unknown as Array<
        [Buffer, Buffer[]]
      >;
      for (const [id, fields] of page) {
        const raw = fieldOf(fields, "m");
        let body: RequestBody | undefined;
        try {
          body = raw === undefined ? undefined : unpackBody<RequestBody>(raw);
        } catch {
          body = undefined;
        }
        if (body?.r === this.#runId) out.push({ id: id.toString(), body });
      }
      if (page.length < SCAN_PAGE) return out;
      start = `(${page.at(-1)![0].toString()}`;
    }
  }

  async #readReplies(): Promise<void> {
    const client = this.#replies.client;
    while (!this.#closed) {
      let result: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      try {
        result = (await client.callBuffer(
          "XREAD",
          "COUNT",
          256,
          "BLOCK",
          2000,
          "STREAMS",
          this.#replyKey,
          this.#lastReplyId,
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      } catch (error) {
        if (!this.#closed && this.#replies.failure === undefined) this.#events.failed(this.#replies.explain(error));
        return;
      }
      if (result === null) continue;
      for (const [, entries] of result) {
        for (const [id, fields] of entries) {
          this.#lastReplyId = id.toString();
          this.#events.reply(decodeReply(fields));
        }
      }
      // what was read is not needed again, nor the done records of the batches it settled
      const settled = this.#settled;
      this.#settled = [];
      this.#commands.client
        .eval(TRIM, 3, this.#runKey, this.#replyKey, this.#doneKey, this.#token, this.#lastReplyId, ...settled)
        .catch(ignore);
      this.#events.read();
    }
  }

  /**
   * Reads the export's live workers (`XINFO CONSUMERS`: seen within 15 s) and its lag (`XLEN`:
   * entries are deleted as they are answered, so what the stream holds waits for an answer).
   */
  async #observe(): Promise<void> {
    if (!this.#started || this.#closed || !this.#commands.up) return;
    try {
      const [consumers, length] = (await this.#commands.client
        .pipeline()
        .xinfo("CONSUMERS", this.#stream, WORKER_GROUP)
        .xlen(this.#stream)
        .exec()) as [[Error | null, unknown[][] | null], [Error | null, number | null]];
      if (consumers[0] === null && Array.isArray(consumers[1]))
        this.workers = consumers[1].filter((c) => Number(fieldValue(c, "idle")) < LIVE_WITHIN_MS).length;
      if (length[0] === null) this.lag = Number(length[1]);
    } catch {
      // a reading missed: the last one stands
    }
  }

  /** Refreshes the run's liveness key (and the reply stream's expiry) while the run lasts. */
  #refresh(): void {
    if (!this.#started || this.#closed || !this.#commands.up) return;
    this.#commands.client
      .eval(REFRESH, 3, this.#runKey, this.#replyKey, this.#doneKey, this.#token, this.#settings.runTtlMs)
      .catch(ignore);
  }

  /** After a reconnection: if Redis lost the run (it restarted empty), declare it again and say so. */
  async #reconcile(): Promise<void> {
    if (!this.#started || this.#closed) return;
    try {
      if ((await this.#commands.client.exists(this.#runKey)) === 1 || this.#closed) return;
      await this.#declare();
    } catch {
      return;
    }
    this.#lastReplyId = "0-0";
    this.#events.lost();
  }
}

function ignore(): void {}

/** A reply entry's body; undefined when it cannot be decoded. */
function decodeReply(fields: readonly Buffer[]): ReplyBody | undefined {
  const raw = fieldOf(fields, "m");
  try {
    return raw === undefined ? undefined : unpackBody<ReplyBody>(raw);
  } catch {
    return undefined;
  }
}

/** The value after `name` in a flat `[name, value, …]` reply. */
function fieldValue(reply: readonly unknown[], name: string): unknown {
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return reply[i + 1];
  return undefined;
}
