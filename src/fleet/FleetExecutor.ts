import { randomBytes } from "node:crypto";
import { CancelledError } from "../errors/CancelledError.js";
import { TimeoutError } from "../errors/TimeoutError.js";
import type { Attempt, Executor, Settle } from "../executor/Executor.js";
import { BatchSizer } from "../executor/pool/executor/BatchSizer.js";
import { rebuildError } from "../executor/pool/wire/SerializedError.js";
import { microtask } from "../time/microtask.js";
import { FleetDeliveriesError } from "./errors/FleetDeliveriesError.js";
import { FleetAttempt, FleetBatch, packRequest, type RequestHeader } from "./FleetBatch.js";
import type { FleetSettings } from "./FleetOptions.js";
import { CONTROL_CANCEL, packBody, RESULT_VALUE, type ReplyBody } from "./protocol/FleetWire.js";
import { RunChannel } from "./RunChannel.js";
import { SignalWatches } from "../executor/SignalWatches.js";

/** Counters of one fleet executor (for tests, logs and the bench). */
export interface FleetExecutorStats {
  /** Stream entries written (batches, resends included). */
  batches: number;
  /** Items sent. */
  items: number;
  /** Replies read. */
  replies: number;
  /** Replies for nothing still awaited (a cancelled batch, a second answer): dropped. */
  discarded: number;
  /** Batches sent again because Redis lost them (it restarted without their data). */
  resent: number;
}

/**
 * The origin side of a {@link fleet} stage: an {@link Executor} that packs attempts into request
 * entries (adaptive size, at most `maxBatches` entries and `maxInFlight` items in flight), hands
 * them to its {@link RunChannel}, and settles each attempt exactly once: with its value, the error
 * it threw in the worker (rebuilt with its name, message, code and fields), a `TimeoutError`, a
 * `FleetDeliveriesError`, the abort reason when its signal aborts (the workers are told, so the
 * work stops there too), a `RedisUnavailableError` (or auth / TLS error) when Redis is gone past
 * `maxOutageMs`, or a `CancelledError` when the executor closes first.
 *
 * A reply for nothing still awaited is dropped: a duplicate, or the answer to a cancelled batch.
 * Workers cannot answer an entry they lost (see fleetScripts), so a late result never reaches this
 * side through them; this check is the second line.
 *
 * One executor per stage and run: it owns the run id. Seam for durable runs: the run id is random
 * here; a resumed run will pass its stored id (and item keys, `ctx.key`) so that it re-attaches to
 * its reply stream and the entries still in Redis instead of sending them again (docs/fleet.md).
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
  readonly #header: RequestHeader;
  readonly #channel: RunChannel;
  readonly #sizer: BatchSizer;
  readonly #watches: SignalWatches<FleetAttempt>;
  /** Attempts not sent yet; `#head` is the first that may still be open. */
  #queue: FleetAttempt[] = [];
  #head = 0;
  #pending = 0;
  readonly #inFlight = new Map<number, FleetBatch>();
  #inFlightItems = 0;
  #nextBatchId = 0;
  /** Cancellations to publish, by batch id. */
  #cancels = new Map<number, number[]>();
  #flushScheduled = false;
  #failure: unknown;
  #closed = false;
  #closing: Promise<void> | undefined;
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
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#header = { run: runId, stage, timeoutMs, resultKind };
    this.#sizer = new BatchSizer(settings.targetBatchMs, settings.maxBatchSize);
    this.#watches = new SignalWatches<FleetAttempt>((signal, only) => this.#aborted(signal, only));
    this.#channel = new RunChannel(stage, service, runId, settings, {
      reply: (body) => this.#answered(body),
      read: () => this.#scheduleFlush(),
      lost: () => void this.#resend(),
      failed: (error) => this.#fail(error),
    });
    void this.#channel.start().then(() => this.#scheduleFlush());
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
    const a = new FleetAttempt(
      attempt.item,
      attempt.index,
      attempt.attempt,
      attempt.signal,
      settle,
      attempt.retryAfter,
    );
    this.#queue.push(a);
    this.#pending++;
    this.#watches.watch(a.signal, a);
    this.#scheduleFlush();
  }

  /**
   * Fails every open attempt with a `CancelledError`, then ends the run in Redis (its keys and
   * unanswered entries removed, the workers told to drop what they hold of it). Safe to call twice.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    const entryIds: string[] = [];
    for (const batch of this.#inFlight.values()) if (batch.entryId !== undefined) entryIds.push(batch.entryId);
    this.#rejectAll(new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed")));
    this.#closing = this.#channel.close(this.runId, entryIds);
    return this.#closing;
  }

  // ---- sending ----

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  #send(): void {
    if (!this.#channel.started || this.#closed || this.#failure !== undefined) return;
    const s = this.#settings;
    const sent: FleetBatch[] = [];
    const bodies: Buffer[] = [];
    while (this.#pending > 0 && this.#inFlight.size < s.maxBatches && this.#inFlightItems < s.maxInFlight) {
      const n = Math.min(this.#sizer.size, this.#pending, s.maxInFlight - this.#inFlightItems);
      const attempts: FleetAttempt[] = [];
      while (attempts.length < n) {
        const a = this.#queue[this.#head++]!;
        if (!a.done) attempts.push(a);
      }
      this.#pending -= n;
      const body = this.#encode(attempts);
      if (body === undefined) continue;
      const batch = new FleetBatch(this.#nextBatchId++, attempts);
      this.#inFlight.set(batch.id, batch);
      this.#inFlightItems += attempts.length;
      sent.push(batch);
      bodies.push(body);
    }
    this.#compact();
    if (sent.length === 0) return;
    this.stats.batches += sent.length;
    for (const b of sent) this.stats.items += b.attempts.length;
    void this.#channel.send(bodies).then((ids) => this.#sent(sent, ids));
  }

  #sent(batches: readonly FleetBatch[], ids: ReadonlyArray<string | { error: unknown }>): void {
    batches.forEach((batch, i) => {
      const id = ids[i]!;
      if (typeof id === "string") batch.entryId = id;
      else this.#failBatch(batch, id.error);
    });
  }

  /**
   * The request body of `attempts` (removing and failing any item msgpack cannot carry: a
   * function, a symbol); undefined when none is left.
   */
  #encode(attempts: FleetAttempt[]): Buffer | undefined {
    for (;;) {
      if (attempts.length === 0) return undefined;
      try {
        return packRequest(this.#header, this.#nextBatchId, attempts);
      } catch {
        for (let i = attempts.length - 1; i >= 0; i--) {
          const a = attempts[i]!;
          try {
            packBody(a.item);
          } catch (error) {
            attempts.splice(i, 1);
            this.#reject(
              a,
              new TypeError(`stage "${this.stage}" item ${a.index} cannot travel to a fleet worker as msgpack`, {
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

  /** Redis lost the run: every batch in flight goes again, under its own id. */
  async #resend(): Promise<void> {
    const batches = [...this.#inFlight.values()];
    if (batches.length === 0 || this.#closed) return;
    this.stats.resent += batches.length;
    const bodies = batches.map((b) => packRequest(this.#header, b.id, b.attempts));
    this.#sent(batches, await this.#channel.send(bodies));
  }

  // ---- replies ----

  #answered(reply: ReplyBody | undefined): void {
    this.stats.replies++;
    const batch = reply === undefined ? undefined : this.#inFlight.get(reply.b);
    if (reply === undefined || batch === undefined) {
      this.stats.discarded++;
      return;
    }
    const attempts = batch.attempts;
    const f = reply.f;
    const n = reply.v.length;
    // position k of the reply is attempt f + k of the batch (f > 0 for an entry split off it)
    const at = (k: number): FleetAttempt | undefined => {
      const a = attempts[f + k];
      return a === undefined || a.done ? undefined : a;
    };
    let open = false;
    for (let k = 0; k < n && !open; k++) open = at(k) !== undefined;
    if (!open) {
      this.stats.discarded++;
      return;
    }
    if (reply.d === null) this.#sizer.update(reply.u);
    if (reply.r !== null) for (const [k, ms] of reply.r) at(k)?.retryAfter?.(ms);
    if (reply.d !== null) {
      // the items were not run: delivered too many times without an answer
      const error = new FleetDeliveriesError(this.stage, reply.d[0], reply.d[1]);
      for (let k = 0; k < n; k++) {
        const a = at(k);
        if (a !== undefined) this.#reject(a, error);
      }
    } else {
      if (reply.o !== null) {
        for (const k of reply.o) {
          const a = at(k);
          if (a !== undefined)
            this.#reject(a, new TimeoutError(`stage "${this.stage}" item ${a.index}`, this.#header.timeoutMs ?? 0));
        }
      }
      if (reply.e !== null) {
        for (const [k, error] of reply.e) {
          const a = at(k);
          if (a !== undefined) this.#reject(a, rebuildError(error));
        }
      }
      for (let k = 0; k < n; k++) {
        const a = at(k);
        if (a === undefined) continue;
        a.done = true;
        batch.open--;
        this.#watches.unwatch(a.signal);
        a.settle.resolve(reply.v[k]);
      }
    }
    if (batch.open === 0) this.#release(batch);
  }

  /** The batch is no longer in flight: its room is free. */
  #release(batch: FleetBatch): void {
    if (this.#inFlight.delete(batch.id)) this.#inFlightItems -= batch.attempts.length;
  }

  // ---- failure and cancellation ----

  /** Redis is gone for good (or refused us): every open attempt fails with why; later ones at once. */
  #fail(error: unknown): void {
    if (this.#failure !== undefined || this.#closed) return;
    this.#failure = error;
    this.#rejectAll(error);
  }

  #rejectAll(error: unknown): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const a = this.#queue[i]!;
      if (!a.done) this.#reject(a, error);
    }
    this.#queue = [];
    this.#head = 0;
    this.#pending = 0;
    for (const batch of [...this.#inFlight.values()]) this.#failBatch(batch, error);
  }

  #failBatch(batch: FleetBatch, error: unknown): void {
    this.#release(batch);
    for (const a of batch.attempts) if (!a.done) this.#reject(a, error);
  }

  #reject(a: FleetAttempt, error: unknown): void {
    a.done = true;
    this.#watches.unwatch(a.signal);
    if (a.batch !== undefined) a.batch.open--;
    a.settle.reject(error);
  }

  /** A signal aborted: settle its attempts with the reason; tell the workers to stop them. */
  #aborted(signal: AbortSignal, only: FleetAttempt | undefined): void {
    const reason: unknown = signal.reason;
    const abort = (a: FleetAttempt): void => {
      if (a.done) return;
      const batch = a.batch;
      if (batch === undefined) this.#pending--;
      this.#reject(a, reason);
      if (batch === undefined || !this.#inFlight.has(batch.id)) return;
      let ks = this.#cancels.get(batch.id);
      if (ks === undefined) this.#cancels.set(batch.id, (ks = []));
      ks.push(a.k);
      if (batch.open === 0) {
        // nothing of it is awaited: room for others, and no worker needs to take it
        this.#release(batch);
        if (batch.entryId !== undefined) this.#channel.discard(batch.entryId);
        this.#scheduleFlush();
      }
    };
    if (only !== undefined) abort(only);
    else {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const a = this.#queue[i]!;
        if (a.signal === signal) abort(a);
      }
      for (const batch of [...this.#inFlight.values()])
        for (const a of batch.attempts) if (a.signal === signal) abort(a);
    }
    if (this.#cancels.size > 0 && !this.#closed) {
      this.#channel.publish([CONTROL_CANCEL, this.runId, [...this.#cancels]]);
      this.#cancels = new Map();
    }
  }
}
