import type { FleetSettings } from "./FleetOptions.js";
import { FleetKeys, WORKER_GROUP } from "./protocol/FleetKeys.js";
import { fieldOf } from "./protocol/fleetScripts.js";
import { CONTROL_RUN_ENDED, packBody, unpackBody, type ControlMessage, type ReplyBody } from "./protocol/FleetWire.js";
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
}

/**
 * The Redis side of one fleet stage in one run: two connections (commands; a blocking read of
 * the reply stream), the run's liveness key refreshed every third of `runTtlMs`, request entries
 * written with one pipelined round per burst, replies read with `XREAD BLOCK` and trimmed as
 * read, cancellations published, and at the end the run's keys and unanswered entries removed.
 */
export class RunChannel {
  readonly #settings: FleetSettings;
  readonly #stage: string;
  readonly #events: RunChannelEvents;
  readonly #stream: string;
  readonly #runKey: string;
  readonly #replyKey: string;
  readonly #controlChannel: string;
  readonly #commands: RedisLink;
  readonly #replies: RedisLink;
  readonly #heartbeat: NodeJS.Timeout;
  #lastReplyId = "0-0";
  #started = false;
  #closed = false;

  constructor(stage: string, service: string, runId: string, settings: FleetSettings, events: RunChannelEvents) {
    this.#settings = settings;
    this.#stage = stage;
    this.#events = events;
    const keys = new FleetKeys(settings.prefix);
    this.#stream = keys.requests(service);
    this.#runKey = keys.run(runId);
    this.#replyKey = keys.replies(runId);
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
  }

  /** True once connected and declared: entries may be sent. */
  get started(): boolean {
    return this.#started;
  }

  /** Connects, declares the run and the export's group, and starts reading replies. */
  async start(): Promise<void> {
    try {
      await this.#commands.ready();
      await this.#declare();
      await this.#replies.ready();
    } catch (error) {
      if (!this.#closed) this.#events.failed(this.#commands.explain(error));
      return;
    }
    this.#started = true;
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

  /** Deletes an entry no worker needs any more (every item of it was cancelled); best effort. */
  discard(entryId: string): void {
    this.#commands.client.xdel(this.#stream, entryId).catch(ignore);
  }

  /** Publishes a control message to the workers; best effort. */
  publish(message: ControlMessage): void {
    if (!this.#started || this.#closed) return;
    this.#commands.client.publish(this.#controlChannel, packBody(message)).catch(ignore);
  }

  /**
   * Ends the run in Redis: its liveness key and reply stream deleted, `entryIds` (entries still
   * unanswered) deleted, the workers told to drop what they hold of it; then the connections
   * close. Bounded: at most 2 s for the clean-up when Redis is slow.
   */
  async close(runId: string, entryIds: readonly string[]): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (this.#started && this.#commands.up) {
      const ended: ControlMessage = [CONTROL_RUN_ENDED, runId];
      const pipeline = this.#commands.client
        .pipeline()
        .del(this.#runKey)
        .publish(this.#controlChannel, packBody(ended))
        .del(this.#replyKey);
      for (let i = 0; i < entryIds.length; i += 1000) pipeline.xdel(this.#stream, ...entryIds.slice(i, i + 1000));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pipeline.exec().catch(ignore),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000))),
      ]);
      clearTimeout(timer);
    }
    await Promise.all([this.#replies.close(0), this.#commands.close()]);
  }

  /** Creates the run's liveness key and the export's consumer group (if missing). */
  async #declare(): Promise<void> {
    const client = this.#commands.client;
    await client.set(this.#runKey, this.#stage, "PX", this.#settings.runTtlMs);
    await ensureGroup(client, this.#stream, WORKER_GROUP);
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
          const raw = fieldOf(fields, "m");
          let body: ReplyBody | undefined;
          try {
            body = raw === undefined ? undefined : unpackBody<ReplyBody>(raw);
          } catch {
            body = undefined;
          }
          this.#events.reply(body);
        }
      }
      // what was read is not needed again
      this.#commands.client.xtrim(this.#replyKey, "MINID", this.#lastReplyId).catch(ignore);
      this.#events.read();
    }
  }

  /** Refreshes the run's liveness key (and the reply stream's expiry) while the run lasts. */
  #refresh(): void {
    if (!this.#started || this.#closed || !this.#commands.up) return;
    const ttl = this.#settings.runTtlMs;
    this.#commands.client
      .pipeline()
      .set(this.#runKey, this.#stage, "PX", ttl)
      .pexpire(this.#replyKey, ttl)
      .exec()
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
