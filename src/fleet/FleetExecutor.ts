import { itemKey, type ItemKeys } from "../executor/ItemKeys.js";
import { createHash, randomBytes } from "node:crypto";
import { CancelledError } from "../errors/CancelledError.js";
import { TimeoutError } from "../errors/TimeoutError.js";
import type { Attempt, Executor, Settle } from "../executor/Executor.js";
import { BatchSizer } from "../executor/pool/executor/BatchSizer.js";
import { rebuildError } from "../executor/pool/wire/SerializedError.js";
import type { StageFleetStats } from "../stats/StageStats.js";
import { microtask } from "../time/microtask.js";
import { AdoptedEntries, type AdoptedOutcome } from "./AdoptedEntries.js";
import { FleetDeliveriesError } from "./errors/FleetDeliveriesError.js";
import { FleetAttempt, FleetBatch, packRequest, type RequestHeader } from "./FleetBatch.js";
import type { FleetSettings } from "./FleetOptions.js";
import { itemDigest } from "./itemDigest.js";
import { CONTROL_CANCEL, packBody, RESULT_VALUE, type ReplyBody, type RequestBody } from "./protocol/FleetWire.js";
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
  /**
   * Durable runs resumed after a kill: items that took an answer, or waited for an entry, that
   * the run's earlier incarnation left in Redis, instead of being sent again.
   */
  adopted: number;
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
 * One executor per stage and run: it owns the run id, random unless the run is durable
 * ({@link FleetExecutor.useKeys}, called before the first item): then it is derived from the
 * durable run's id and the stage, so a run resumed after its origin was killed finds its reply
 * stream and the entries it left in Redis, and re-attaches to them ({@link AdoptedEntries}):
 * items answered while it was down take those answers, items still queued or held by a worker
 * wait for them, and only what Redis no longer has is sent again (docs/fleet.md).
 */
export class FleetExecutor implements Executor {
  readonly context = "fleet" as const;
  readonly stage: string;
  /** The run id of this stage's run (its keys in Redis). */
  #runId: string;
  /** True when the stage's timeout travels to the workers (they time each item from its start). */
  readonly ownsTimeouts: boolean;
  readonly stats: FleetExecutorStats = { batches: 0, items: 0, replies: 0, discarded: 0, resent: 0, adopted: 0 };
  readonly #settings: FleetSettings;
  readonly #service: string;
  #header: RequestHeader;
  #channel: RunChannel | undefined;
  /** Durable runs: what an earlier incarnation left in Redis (empty for a new run). */
  #adopted: AdoptedEntries | undefined;
  readonly #sizer: BatchSizer;
  readonly #watches: SignalWatches<FleetAttempt>;
  /** Deliveries beyond the first of the items answered (a worker died or stalled holding them). */
  #redeliveries = 0;
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
    this.#runId = runId;
    this.#service = service;
    this.#settings = settings;
    this.ownsTimeouts = timeoutMs !== undefined;
    this.#header = { run: runId, stage, timeoutMs, resultKind };
    this.#sizer = new BatchSizer(settings.targetBatchMs, settings.maxBatchSize);
    this.#watches = new SignalWatches<FleetAttempt>((signal, only) => this.#aborted(signal, only));
    // opened on the next microtask: a durable run names the run first (useKeys)
    microtask(() => this.#open());
  }

  /** The run id of this stage's run (its keys in Redis). */
  get runId(): string {
    return this.#runId;
  }

  /**
   * Makes this a durable run's stage: items carry their key (`ctx.key` in the worker is `prefix`
   * and the source index) and a digest of their content, and the run id is derived from the
   * durable run's (`prefix` is `<runId>/`) and the stage's name, so that a resume re-attaches.
   * Called by the runner before the first item; ignored once the stage has opened its channel.
   */
  useKeys(keys: ItemKeys): void {
    // a fleet worker builds `ctx.key` as the prefix and the index (one source's keys)
    const prefix = keys.prefix;
    if (this.#channel !== undefined || this.#closed) return;
    this.#runId = createHash("sha256").update(`${prefix}\n${this.stage}`).digest("base64url").slice(0, 22);
    this.#header = { ...this.#header, run: this.#runId, keyPrefix: prefix, keyOf: (index) => itemKey(keys, index) };
    this.#adopted = new AdoptedEntries(this.stage, this.#header.timeoutMs);
  }

  #open(): void {
    if (this.#closed) return;
    const adopted = this.#adopted;
    this.#channel = new RunChannel(this.stage, this.#service, this.#runId, this.#settings, {
      reply: (body) => this.#answered(body),
      read: () => this.#scheduleFlush(),
      lost: () => void this.#resend(),
      failed: (error) => this.#fail(error),
      ...(adopted === undefined ? {} : { adopt: (entries, replies) => this.#adopt(adopted, entries, replies) }),
    });
    void this.#channel.start().then(() => this.#scheduleFlush());
  }

  /**
   * A durable run's start: its batch ids go above any an earlier incarnation can have used (it
   * numbered from its own start time, in ms × 1024), and the entries it left are adopted.
   */
  #adopt(
    adopted: AdoptedEntries,
    entries: ReadonlyArray<{ readonly id: string; readonly body: RequestBody }>,
    replies: ReadonlyArray<ReplyBody | undefined>,
  ): void {
    let next = Date.now() * 1024;
    for (const { id, body } of entries) {
      next = Math.max(next, body.b + 1);
      adopted.adoptEntry(id, body);
    }
    for (const reply of replies) if (reply !== undefined) next = Math.max(next, reply.b + 1);
    this.#nextBatchId = next;
    for (const reply of replies) this.#answered(reply);
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

  /** The stage's view of its fleet, for the run's snapshot (workers and lag read about once a second). */
  fleetStats(): StageFleetStats {
    return {
      workers: this.#channel?.workers ?? 0,
      lag: this.#channel?.lag ?? 0,
      redeliveries: this.#redeliveries,
      sent: this.stats.items,
      adopted: this.stats.adopted,
    };
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
    const entryIds: string[] = this.#adopted?.entryIds() ?? [];
    for (const batch of this.#inFlight.values()) if (batch.entryId !== undefined) entryIds.push(batch.entryId);
    this.#rejectAll(new CancelledError(`stage "${this.stage}"`, new Error("its executor was closed")));
    this.#closing = this.#channel?.close(this.runId, entryIds) ?? Promise.resolve();
    return this.#closing;
  }

  // ---- sending ----

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    microtask(this.#flush);
  }

  #send(): void {
    if (this.#channel?.started !== true || this.#closed || this.#failure !== undefined) return;
    const s = this.#settings;
    const keyed = this.#header.keyPrefix !== undefined;
    const adopted = this.#adopted !== undefined && this.#adopted.size > 0 ? this.#adopted : undefined;
    const sent: FleetBatch[] = [];
    const bodies: Buffer[] = [];
    while (this.#pending > 0 && this.#inFlight.size < s.maxBatches && this.#inFlightItems < s.maxInFlight) {
      const n = Math.min(this.#sizer.size, this.#pending, s.maxInFlight - this.#inFlightItems);
      const attempts: FleetAttempt[] = [];
      while (attempts.length < n && this.#pending > 0) {
        const a = this.#queue[this.#head++]!;
        if (a.done) continue;
        this.#pending--;
        if (keyed) {
          a.h = itemDigest(a.item);
          if (adopted !== undefined && this.#takeAdopted(adopted, a)) continue;
        }
        attempts.push(a);
      }
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

  /** True when `a` took an answer, or waits for an entry, its run's earlier incarnation left. */
  #takeAdopted(adopted: AdoptedEntries, a: FleetAttempt): boolean {
    const found = adopted.take(a);
    if (found === undefined) return false;
    this.stats.adopted++;
    if (found !== "waiting") this.#settleAdopted(a, found);
    return true;
  }

  #settleAdopted(a: FleetAttempt, outcome: AdoptedOutcome): void {
    if (a.done) return;
    if (outcome.retryAfterMs !== undefined) a.retryAfter?.(outcome.retryAfterMs);
    a.adopted = false;
    if (outcome.ok) {
      a.done = true;
      this.#watches.unwatch(a.signal);
      a.settle.resolve(outcome.value);
    } else this.#reject(a, outcome.error);
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
    const waiting = this.#adopted?.clear() ?? [];
    if (waiting.length > 0) {
      // what waited for the earlier incarnation's entries goes again, as new items
      for (const a of waiting) if (!a.done) this.#queue.push(a);
      this.#pending += waiting.filter((a) => !a.done).length;
      this.#scheduleFlush();
    }
    const batches = [...this.#inFlight.values()];
    if (batches.length === 0 || this.#closed) return;
    this.stats.resent += batches.length;
    for (const b of batches) b.resent = true;
    const bodies = batches.map((b) => packRequest(this.#header, b.id, b.attempts));
    this.#sent(batches, await this.#channel!.send(bodies));
  }

  // ---- replies ----

  #answered(reply: ReplyBody | undefined): void {
    this.stats.replies++;
    if (reply?.n !== undefined) this.#redeliveries += (reply.n - 1) * reply.v.length;
    const batch = reply === undefined ? undefined : this.#inFlight.get(reply.b);
    if (
      batch === undefined &&
      reply !== undefined &&
      this.#adopted?.reply(reply, (a, outcome) => this.#settleAdopted(a, outcome)) === true
    )
      return;
    if (reply === undefined || batch === undefined) {
      this.stats.discarded++;
      return;
    }
    const attempts = batch.attempts;
    const f = reply.f;
    const n = reply.v.length;
    // position k of the reply is attempt f + k of the batch (f > 0 for an entry split off it);
    // positions in `s` were answered by a copy of the entry before, not by this reply
    const skipped = reply.s;
    const at = (k: number): FleetAttempt | undefined => {
      if (skipped !== undefined && skipped.includes(k)) return undefined;
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

  /**
   * The batch is no longer in flight: its room is free, and its done record in Redis can go
   * (every entry of it was answered and deleted, or cancelled) unless it was sent twice.
   */
  #release(batch: FleetBatch): void {
    if (!this.#inFlight.delete(batch.id)) return;
    this.#inFlightItems -= batch.attempts.length;
    if (!batch.resent) this.#channel?.forget(batch.id);
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
    for (const a of this.#adopted?.attached() ?? []) this.#reject(a, error);
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
      if (a.adopted) {
        this.#adopted?.release(a);
        this.#reject(a, reason);
        return;
      }
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
        if (batch.entryId !== undefined) this.#channel?.discard(batch.entryId);
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
      for (const a of this.#adopted?.attached() ?? []) if (a.signal === signal) abort(a);
    }
    if (this.#cancels.size > 0 && !this.#closed) {
      this.#channel?.publish([CONTROL_CANCEL, this.runId, [...this.#cancels]]);
      this.#cancels = new Map();
    }
  }
}
