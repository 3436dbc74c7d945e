import { randomBytes } from "node:crypto";
import { CancelledError } from "../errors/CancelledError.js";
import { TimeoutError } from "../errors/TimeoutError.js";
import type { Attempt, Executor, Settle } from "../executor/Executor.js";
import { BatchSizer } from "../executor/pool/BatchSizer.js";
import { rebuildError } from "../executor/pool/SerializedError.js";
import { microtask } from "../time/microtask.js";
import { FleetDeliveriesError } from "./errors/FleetDeliveriesError.js";
import type { FleetSettings } from "./FleetOptions.js";
import { FleetKeys, WORKER_GROUP } from "./protocol/FleetKeys.js";
import { fieldOf } from "./protocol/fleetScripts.js";
import {
  CONTROL_CANCEL,
  CONTROL_RUN_ENDED,
  packBody,
  unpackBody,
  type ControlMessage,
  type ReplyBody,
  type RequestBody,
} from "./protocol/FleetWire.js";
import { ensureGroup } from "./redis/ensureGroup.js";
import { RedisLink } from "./redis/RedisLink.js";
import { SignalWatches } from "./SignalWatches.js";

/** One attempt, from `execute` until it settles. */
class Entry {
  done = false;
  batch: Batch | undefined = undefined;
  k = 0;

  constructor(
    readonly item: unknown,
    readonly index: number,
    readonly attempt: number,
    readonly signal: AbortSignal,
    readonly settle: Settle,
    readonly retryAfter: ((ms: number) => void) | undefined,
  ) {}
}

/** One stream entry: a batch of attempts, sent together, answered together. */
class Batch {
  /** The stream entry's id, once XADD answered. */
  entryId: string | undefined = undefined;
  /** Attempts of the batch not settled yet. */
  open: number;

  constructor(
    readonly id: number,
    readonly entries: Entry[],
  ) {
    this.open = entries.length;
  }
}

/** What the worker sends back per item, by stage kind. */
export const RESULT_VALUE = 0;
export const RESULT_ARRAY = 1;
export const RESULT_NONE = 2;
export const RESULT_TRUTH = 3;

/** Counters of one fleet executor (for tests, logs and the bench). */
export interface FleetExecutorStats {
  /** Stream entries written (batches, resends included). */
  batches: number;
  /** Items sent. */
  items: number;
  /** Replies read. */
  replies: number;
  /** Replies for a batch no longer waited for (cancelled, or answered already): dropped. */
  discarded: number;
  /** Batches sent again because Redis lost them (it restarted without their data). */
  resent: number;
}

/**
 * The origin side of a {@link fleet} stage: an {@link Executor} that packs attempts into stream
 * entries on the export's request stream (adaptive size, at most `maxBatches` entries and
 * `maxInFlight` items in flight), reads the run's reply stream with a blocking XREAD, and settles
 * each attempt exactly once: with its value, the error it threw in the worker (rebuilt, with its
 * name, message, code and fields), a `TimeoutError`, a `FleetDeliveriesError`, the abort reason
 * when its signal aborts (the workers are told, so the work stops there too), a
 * `RedisUnavailableError` (or auth / TLS error) when Redis is gone past `maxOutageMs`, or a
 * `CancelledError` when the executor closes first.
 *
 * A reply for a batch that is no longer awaited is dropped: so is a duplicate. Workers cannot
 * answer an entry they lost (see fleetScripts), so a late result never reaches this side through
 * them; this check is the second line.
 *
 * One executor per stage and run: it owns the run id, its liveness key and reply stream, and
 * removes them on close, telling the workers to drop whatever of the run they still hold.
 *
 * Seam for durable runs: the run id is random here; a resumed run will pass its stored id (and
 * item keys, `ctx.key`) so that it re-attaches to the reply stream and the entries still in Redis
 * instead of sending them again (see docs/fleet.md, "What is left").
 */
export class FleetExecutor implements Executor {
  readonly context = "fleet" as const;
  readonly stage: string;
  /** The run id of this stage's run (its keys in Redis). */
  readonly runId: string;
  /** True when the stage's timeout travels to the workers (they time each item from its start). */
  readonly ownsTimeouts: boolean;
  readonly stats: FleetExecutorStats = { batches: 0, items: 0, replies: 0, discarded: 0, resent: 0 };
  readonly #settings: FleetSettings;
  readonly #stream: string;
  readonly #runKey: string;
  readonly #replyKey: string;
  readonly #controlChannel: string;
  readonly #timeoutMs: number | undefined;
  readonly #resultKind: number;
  readonly #commands: RedisLink;
  readonly #replies: RedisLink;
  readonly #sizer: BatchSizer;
  readonly #watches: SignalWatches<Entry>;
  /** Attempts not sent yet; `#head` is the first that may still be open. */
  #queue: Entry[] = [];
  #head = 0;
  #pending = 0;
  readonly #inFlight = new Map<number, Batch>();
  #inFlightItems = 0;
  #nextBatchId = 0;
  #lastReplyId = "0-0";
  /** Cancellations to publish, by batch id. */
  #cancels = new Map<number, number[]>();
  #flushScheduled = false;
  #started = false;
  #failure: unknown;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    this.#send();
  };

  /** The most a fleet stage's window can be (sizes the stage's reorder ring). */
  static maxWindow(settings: FleetSettings): number {
    return Math.min(settings.maxInFlight, settings.maxBatches * settings.maxBatchSize);
  }

  constructor(
    stage: string,
    service: string,
    settings: FleetSettings,
    timeoutMs?: number,
    resultKind = RESULT_VALUE,
    runId = randomBytes(12).toString("base64url"),
  ) {
    this.stage = stage;
    this.runId = runId;
    this.#settings = settings;
    this.#timeoutMs = timeoutMs;
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#resultKind = resultKind;
    const keys = new FleetKeys(settings.prefix);
    this.#stream = keys.requests(service);
    this.#runKey = keys.run(runId);
    this.#replyKey = keys.replies(runId);
    this.#controlChannel = keys.control;
    this.#sizer = new BatchSizer(settings.targetBatchMs, settings.maxBatchSize);
    this.#watches = new SignalWatches<Entry>((signal, entries) => this.#aborted(signal, entries));
    const where = `fleet stage "${stage}"`;
    this.#commands = new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: `weir-origin` });
    this.#replies = new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: `weir-origin` });
    const fail = (error: unknown): void => this.#fail(error);
    this.#commands.onFailure(fail);
    this.#replies.onFailure(fail);
    this.#commands.onReconnect(() => void this.#reconcile());
    this.#heartbeat = setInterval(() => this.#refresh(), Math.max(10, Math.floor(settings.runTtlMs / 3)));
    this.#heartbeat.unref();
    void this.#start();
  }

  /**
   * Items to keep in flight: `maxBatches` entries of the current adaptive size, at most
   * `maxInFlight`. The stage's `concurrency` does not apply: the fleet's parallelism is its
   * workers' (`weir worker --concurrency`, times the processes).
   */
  window(_concurrency: number): number {
    return Math.max(1, Math.min(this.#settings.maxInFlight, this.#settings.maxBatches * this.#sizer.size));
  }

  maxWindow(_concurrency: number): number {
    return FleetExecutor.maxWindow(this.#settings);
  }

  /** Current items per entry (adaptive). */
  get batchSize(): number {
    return this.#sizer.size;
  }

  execute(attempt: Attempt, settle: Settle): void {
    if (this.#closed) {
      settle.reject(new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed")));
      return;
    }
    if (this.#failure !== undefined) {
      settle.reject(this.#failure);
      return;
    }
    if (attempt.signal.aborted) {
      settle.reject(attempt.signal.reason);
      return;
    }
    const entry = new Entry(attempt.item, attempt.index, attempt.attempt, attempt.signal, settle, attempt.retryAfter);
    this.#queue.push(entry);
    this.#pending++;
    this.#watches.watch(entry.signal, entry);
    this.#scheduleFlush();
  }

  /**
   * Fails every open attempt with a `CancelledError`, then removes the run's keys and entries
   * from Redis and tells the workers to drop what they hold of it. Safe to call twice.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const error = new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed"));
    const entryIds: string[] = [];
    for (const batch of this.#inFlight.values()) if (batch.entryId !== undefined) entryIds.push(batch.entryId);
    this.#rejectAll(error);
    this.#closing = this.#cleanUp(entryIds);
    return this.#closing;
  }

  // ---- sending ----

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  #send(): void {
    if (!this.#started || this.#closed || this.#failure !== undefined) return;
    const s = this.#settings;
    const pipeline = this.#commands.client.pipeline();
    const sent: Batch[] = [];
    while (this.#pending > 0 && this.#inFlight.size < s.maxBatches && this.#inFlightItems < s.maxInFlight) {
      const n = Math.min(this.#sizer.size, this.#pending, s.maxInFlight - this.#inFlightItems);
      const entries: Entry[] = [];
      while (entries.length < n) {
        const e = this.#queue[this.#head++]!;
        if (!e.done) entries.push(e);
      }
      this.#pending -= n;
      const body = this.#encode(entries);
      if (body === undefined) continue;
      const batch = new Batch(this.#nextBatchId++, entries);
      for (let k = 0; k < entries.length; k++) {
        entries[k]!.batch = batch;
        entries[k]!.k = k;
      }
      this.#inFlight.set(batch.id, batch);
      this.#inFlightItems += entries.length;
      pipeline.xaddBuffer(this.#stream, "*", "m", body);
      sent.push(batch);
    }
    this.#compact();
    if (sent.length === 0) return;
    this.stats.batches += sent.length;
    for (const b of sent) this.stats.items += b.entries.length;
    pipeline.exec().then(
      (results) => {
        results?.forEach(([error, id], i) => {
          const batch = sent[i]!;
          if (error === null) batch.entryId = String(id);
          else this.#failBatch(batch, this.#commands.explain(error));
        });
      },
      (error: unknown) => {
        for (const batch of sent) this.#failBatch(batch, this.#commands.explain(error));
      },
    );
  }

  /**
   * The request body of `entries`; an item msgpack cannot carry (a function, a symbol) fails
   * alone with the encoder's error, and the rest go without it. Undefined when none is left.
   */
  #encode(entries: Entry[]): Buffer | undefined {
    for (;;) {
      if (entries.length === 0) return undefined;
      const items: unknown[] = [];
      const indexes: number[] = [];
      const attempts: number[] = [];
      let consecutive = true;
      let firstAttempts = true;
      for (const e of entries) {
        if (consecutive && indexes.length > 0 && e.index !== indexes[indexes.length - 1]! + 1) consecutive = false;
        if (e.attempt !== 1) firstAttempts = false;
        items.push(e.item);
        indexes.push(e.index);
        attempts.push(e.attempt);
      }
      const body: RequestBody = {
        r: this.runId,
        b: this.#nextBatchId,
        f: 0,
        s: this.stage,
        x: items,
        i: consecutive ? indexes[0]! : indexes,
        a: firstAttempts ? 1 : attempts,
        t: this.#timeoutMs ?? null,
        p: 0,
        k: this.#resultKind,
      };
      try {
        return packBody(body);
      } catch {
        // find the items that cannot travel; fail them, send the others
        for (let i = entries.length - 1; i >= 0; i--) {
          const e = entries[i]!;
          try {
            packBody(e.item);
          } catch (error) {
            entries.splice(i, 1);
            this.#reject(
              e,
              new TypeError(`stage "${this.stage}" item ${e.index} cannot travel to a fleet worker as msgpack`, {
                cause: error,
              }),
            );
          }
        }
      }
    }
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  // ---- replies ----

  async #start(): Promise<void> {
    try {
      await this.#commands.ready();
      await this.#declare();
      await this.#replies.ready();
    } catch (error) {
      this.#fail(this.#commands.explain(error));
      return;
    }
    this.#started = true;
    this.#scheduleFlush();
    void this.#readReplies();
  }

  /** Creates the run's liveness key and the export's consumer group (if missing). */
  async #declare(): Promise<void> {
    const client = this.#commands.client;
    await client.set(this.#runKey, this.stage, "PX", this.#settings.runTtlMs);
    await ensureGroup(client, this.#stream, WORKER_GROUP);
  }

  async #readReplies(): Promise<void> {
    const client = this.#replies.client;
    while (!this.#closed && this.#failure === undefined) {
      let result: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      try {
        result = (await client.xreadBuffer(
          "COUNT",
          256,
          "BLOCK",
          2000,
          "STREAMS",
          this.#replyKey,
          this.#lastReplyId,
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      } catch (error) {
        if (this.#closed) return;
        if (this.#replies.failure !== undefined) return; // #fail ran
        this.#fail(this.#replies.explain(error));
        return;
      }
      if (result === null) continue;
      for (const [, entries] of result) {
        for (const [id, fields] of entries) {
          this.#lastReplyId = id.toString();
          const body = fieldOf(fields, "m");
          if (body === undefined) continue;
          let reply: ReplyBody;
          try {
            reply = unpackBody<ReplyBody>(body);
          } catch {
            this.stats.discarded++;
            continue;
          }
          this.#answered(reply);
        }
      }
      // what was read is not needed again
      this.#commands.client.xtrim(this.#replyKey, "MINID", this.#lastReplyId).catch(ignore);
      this.#scheduleFlush();
    }
  }

  #answered(reply: ReplyBody): void {
    this.stats.replies++;
    const batch = this.#inFlight.get(reply.b);
    const entries = batch?.entries;
    const f = reply.f;
    const n = reply.v.length;
    // a reply for nothing still open: a cancelled batch, or a second answer (dropped)
    let open = false;
    if (entries !== undefined) for (let k = 0; k < n && !open; k++) open = entries[f + k]?.done === false;
    if (batch === undefined || entries === undefined || !open) {
      this.stats.discarded++;
      return;
    }
    const at = (k: number): Entry | undefined => {
      const e = entries[f + k];
      return e === undefined || e.done ? undefined : e;
    };
    if (reply.d === null) this.#sizer.update(reply.u);
    if (reply.r !== null) for (const [k, ms] of reply.r) at(k)?.retryAfter?.(ms);
    if (reply.d !== null) {
      // the entry's items were not run (a split single answers for its one item)
      const error = new FleetDeliveriesError(this.stage, reply.d[0], reply.d[1]);
      for (let k = 0; k < n; k++) {
        const e = at(k);
        if (e !== undefined) this.#reject(e, error);
      }
    } else {
      if (reply.o !== null) {
        for (const k of reply.o) {
          const e = at(k);
          if (e !== undefined)
            this.#reject(e, new TimeoutError(`stage "${this.stage}" item ${e.index}`, this.#timeoutMs ?? 0));
        }
      }
      if (reply.e !== null) {
        for (const [k, error] of reply.e) {
          const e = at(k);
          if (e !== undefined) this.#reject(e, rebuildError(error));
        }
      }
      const values = reply.v;
      for (let k = 0; k < values.length; k++) {
        const e = at(k);
        if (e === undefined) continue;
        e.done = true;
        batch.open--;
        this.#watches.unwatch(e.signal);
        e.settle.resolve(values[k]);
      }
    }
    if (batch.open === 0) this.#release(batch);
  }

  /** The batch is no longer in flight: its room is free. */
  #release(batch: Batch): void {
    if (this.#inFlight.delete(batch.id)) this.#inFlightItems -= batch.entries.length;
  }

  // ---- liveness, reconnection, failure ----

  /** Refreshes the run's liveness key (and the reply stream's expiry) while the run lasts. */
  #refresh(): void {
    if (!this.#started || this.#closed || !this.#commands.up) return;
    const ttl = this.#settings.runTtlMs;
    this.#commands.client
      .pipeline()
      .set(this.#runKey, this.stage, "PX", ttl)
      .pexpire(this.#replyKey, ttl)
      .exec()
      .catch(ignore);
  }

  /**
   * After a reconnection: if Redis lost the run (it restarted without its data), declare it
   * again and send every batch still in flight again. Replies to both copies may come; the
   * second is discarded.
   */
  async #reconcile(): Promise<void> {
    if (!this.#started || this.#closed) return;
    let alive: number;
    try {
      alive = await this.#commands.client.exists(this.#runKey);
    } catch {
      return;
    }
    if (alive === 1 || this.#closed) return;
    try {
      await this.#declare();
    } catch {
      return;
    }
    this.#lastReplyId = "0-0";
    const pipeline = this.#commands.client.pipeline();
    const batches = [...this.#inFlight.values()];
    for (const batch of batches) {
      const body = this.#resendBody(batch);
      pipeline.xaddBuffer(this.#stream, "*", "m", body);
    }
    this.stats.resent += batches.length;
    const results = await pipeline.exec().catch(() => null);
    results?.forEach(([error, id], i) => {
      if (error === null) batches[i]!.entryId = String(id);
    });
  }

  /** A batch's body again, under its own id (its items keep their positions). */
  #resendBody(batch: Batch): Buffer {
    const entries = batch.entries;
    const body: RequestBody = {
      r: this.runId,
      b: batch.id,
      f: 0,
      s: this.stage,
      x: entries.map((e) => e.item),
      i: entries.map((e) => e.index),
      a: entries.map((e) => e.attempt),
      t: this.#timeoutMs ?? null,
      p: 0,
      k: this.#resultKind,
    };
    return packBody(body);
  }

  /** Redis is gone for good (or refused us): every open attempt fails with why; later ones at once. */
  #fail(error: unknown): void {
    if (this.#failure !== undefined || this.#closed) return;
    this.#failure = error;
    this.#rejectAll(error);
  }

  #rejectAll(error: unknown): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const e = this.#queue[i]!;
      if (!e.done) this.#reject(e, error);
    }
    this.#queue = [];
    this.#head = 0;
    this.#pending = 0;
    for (const batch of [...this.#inFlight.values()]) this.#failBatch(batch, error);
  }

  #failBatch(batch: Batch, error: unknown): void {
    this.#release(batch);
    for (const e of batch.entries) if (!e.done) this.#reject(e, error);
  }

  #reject(e: Entry, error: unknown): void {
    e.done = true;
    this.#watches.unwatch(e.signal);
    if (e.batch !== undefined) e.batch.open--;
    e.settle.reject(error);
  }

  // ---- cancellation ----

  /** A signal aborted: settle its attempts with the reason; tell the workers to stop them. */
  #aborted(signal: AbortSignal, only: Entry | undefined): void {
    const reason: unknown = signal.reason;
    const abort = (e: Entry): void => {
      if (e.done) return;
      const batch = e.batch;
      if (batch === undefined) this.#pending--;
      this.#reject(e, reason);
      if (batch === undefined || !this.#inFlight.has(batch.id)) return;
      let ks = this.#cancels.get(batch.id);
      if (ks === undefined) this.#cancels.set(batch.id, (ks = []));
      ks.push(e.k);
      if (batch.open === 0) {
        this.#release(batch);
        if (batch.entryId !== undefined) this.#commands.client.xdel(this.#stream, batch.entryId).catch(ignore);
        this.#scheduleFlush();
      }
    };
    if (only !== undefined) abort(only);
    else {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const e = this.#queue[i]!;
        if (e.signal === signal) abort(e);
      }
      for (const batch of [...this.#inFlight.values()])
        for (const e of batch.entries) if (e.signal === signal) abort(e);
    }
    this.#publishCancels();
  }

  #publishCancels(): void {
    if (this.#cancels.size === 0 || !this.#started || this.#closed) return;
    const message: ControlMessage = [CONTROL_CANCEL, this.runId, [...this.#cancels]];
    this.#cancels = new Map();
    this.#commands.client.publish(this.#controlChannel, packBody(message)).catch(ignore);
  }

  async #cleanUp(entryIds: string[]): Promise<void> {
    if (this.#started && this.#commands.up) {
      const ended: ControlMessage = [CONTROL_RUN_ENDED, this.runId];
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
}

function ignore(): void {}
