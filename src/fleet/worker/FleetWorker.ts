import { performance } from "node:perf_hooks";
import { CancelledError } from "../../errors/CancelledError.js";
import type { WeirError } from "../../errors/WeirError.js";
import { FleetKeys, WORKER_GROUP } from "../protocol/FleetKeys.js";
import {
  claimStale,
  completeEntries,
  defineFleetScripts,
  extendLeases,
  fieldOf,
  requeueEntries,
  type Requeue,
} from "../protocol/fleetScripts.js";
import {
  CONTROL_CANCEL,
  CONTROL_RUN_ENDED,
  unpackBody,
  type ControlMessage,
  type RequestBody,
} from "../protocol/FleetWire.js";
import { ensureGroup } from "../redis/ensureGroup.js";
import { RedisLink } from "../redis/RedisLink.js";
import { AnswerWriter } from "./AnswerWriter.js";
import { HeldEntries } from "./HeldEntries.js";
import { HeldEntry } from "./HeldEntry.js";
import { runItem } from "./runItem.js";
import { RunLiveness } from "./RunLiveness.js";
import type { Service } from "./loadServices.js";
import type { FleetWorkerSettings } from "./WorkerOptions.js";

/** What a worker did, for its log and for tests. */
export interface FleetWorkerStats {
  /** Entries answered. */
  entries: number;
  /** Items run. */
  items: number;
  /** Entries taken over from workers that died or stalled. */
  claimed: number;
  /** Entries split into one per item after their worker died holding them. */
  split: number;
  /** Entries answered with WEIR_FLEET_DELIVERIES (not run again). */
  exhausted: number;
  /** Entries this worker had lost to another when it tried to answer or renew them (results discarded). */
  fenced: number;
  /** Entries whose items a copy had answered first (the run's done hash said so): no second answer written. */
  answeredBefore: number;
  /** Entries put back for other workers (shutdown). */
  handedBack: number;
  /** Entries dropped because their run ended. */
  dropped: number;
}

/** An entry as Redis delivered it, not decoded yet. */
interface Delivered {
  readonly stream: string;
  readonly id: string;
  readonly raw: Buffer | undefined;
  /** Times Redis delivered it (1 when read fresh). */
  readonly deliveries: number;
  /** The worker that held it before (claimed entries). */
  readonly previous: string;
}

/** How long a blocking read waits before it looks again (so a stop is seen within it). */
const BLOCK_MS = 1000;
/** Synchronous work a pump does before it yields to I/O (leases, reads, replies). */
const SLICE_MS = 8;
/** Runs remembered as ended (their late entries are dropped unseen). */
const ENDED_RUNS = 4096;

/**
 * The server side of fleet stages: reads request entries of the exports it serves from their
 * streams (consumer group `weir`, `XREADGROUP … BLOCK`), runs their items (up to `concurrency`
 * asynchronous ones at once), and answers each entry with one fenced script call that acks it,
 * deletes it and writes the reply, batched per stream. Leases are renewed every third of
 * `leaseMs`; entries idle past the lease elsewhere are taken over (`XAUTOCLAIM`) every half. An
 * entry taken over from a worker that died is split into one entry per item (so a poison item is
 * alone when it strikes again); an item delivered more than `maxDeliveries` times is answered with
 * `WEIR_FLEET_DELIVERIES` and not run. Cancellations come on the control channel.
 *
 * `stop(graceMs)`: no new entries; those not started are handed back at once; running ones may
 * finish within the grace, then they are aborted and handed back too; anything still pending for
 * this worker is handed back; it leaves the group.
 */
export class FleetWorker {
  readonly name: string;
  readonly stats: FleetWorkerStats = {
    entries: 0,
    items: 0,
    claimed: 0,
    split: 0,
    exhausted: 0,
    fenced: 0,
    answeredBefore: 0,
    handedBack: 0,
    dropped: 0,
  };
  readonly #settings: FleetWorkerSettings;
  readonly #keys: FleetKeys;
  readonly #services = new Map<string, Service>();
  readonly #streams: string[];
  readonly #reader: RedisLink;
  readonly #commands: RedisLink;
  readonly #subscriber: RedisLink;
  readonly #held: HeldEntries;
  readonly #liveness: RunLiveness;
  readonly #endedRuns = new Set<string>();
  /** Entries with items not started yet, in arrival order. */
  #ready: HeldEntry[] = [];
  #runningItems = 0;
  #pumpScheduled = false;
  readonly #answers: AnswerWriter;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #failure: WeirError | undefined;
  #roomWaiter: (() => void) | undefined;
  /** A suspect entry (delivered before to a worker that died) that runs alone, once the others end. */
  #solo: HeldEntry | undefined;
  #cutGrace: (() => void) | undefined;
  /** Read this worker's own pending entries before new ones (after a reconnection). */
  #recover = false;
  #idleWaiter: (() => void) | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #claimTimer: NodeJS.Timeout | undefined;
  #readLoop: Promise<void> | undefined;
  readonly #failed: Promise<WeirError>;
  #resolveFailed: ((error: WeirError) => void) | undefined;
  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    this.#run();
  };

  constructor(settings: FleetWorkerSettings, services: readonly Service[]) {
    this.#settings = settings;
    this.name = settings.name;
    this.#keys = new FleetKeys(settings.prefix);
    for (const s of services) this.#services.set(this.#keys.requests(s.name), s);
    this.#streams = [...this.#services.keys()];
    const where = `weir worker ${settings.name}`;
    const link = (): RedisLink =>
      new RedisLink(settings.redis, { where, maxOutageMs: settings.maxOutageMs, name: `weir-worker` });
    this.#held = new HeldEntries(() => this.#released());
    this.#reader = link();
    this.#commands = link();
    this.#subscriber = link();
    defineFleetScripts(this.#commands.client);
    this.#liveness = new RunLiveness(this.#commands.client, this.#keys, Math.max(10, Math.floor(settings.leaseMs / 3)));
    const hold = process.env["WEIR_TEST_HOLD_FIRST_ANSWER"] === "1" ? holdUntilContinued(settings) : undefined;
    this.#answers = new AnswerWriter(this.#commands.client, this.#keys, settings.name, settings.log, {
      written: (entry) => this.#unhold(entry),
      fenced: (count) => (this.stats.fenced += count),
      answeredBefore: (count) => (this.stats.answeredBefore += count),
      ...(hold === undefined ? {} : { beforeFirstAnswer: hold }),
    });
    this.#failed = new Promise((resolve) => (this.#resolveFailed = resolve));
    for (const l of [this.#reader, this.#commands, this.#subscriber]) l.onFailure((error) => this.#fail(error));
    this.#commands.onReconnect(() => void this.#declare().catch(() => undefined));
    // a read answered while the connection dropped delivered entries this worker never saw
    this.#reader.onReconnect(() => (this.#recover = true));
  }

  /** The services served, by name (`module:export`). */
  get services(): string[] {
    return [...this.#services.values()].map((s) => s.name);
  }

  /** Resolves with the error the worker stopped on when Redis is gone for good (past maxOutageMs). */
  get failed(): Promise<WeirError> {
    return this.#failed;
  }

  /** Connects, creates the consumer groups, subscribes to cancellations and starts serving. */
  async start(): Promise<void> {
    await Promise.all([this.#commands.ready(), this.#reader.ready(), this.#subscriber.ready()]);
    await this.#declare();
    this.#subscriber.client.on("messageBuffer", (_channel: Buffer, message: Buffer) => this.#control(message));
    await this.#subscriber.client.subscribe(this.#keys.control);
    const lease = this.#settings.leaseMs;
    this.#leaseTimer = setInterval(() => void this.#renewLeases(), Math.max(10, Math.floor(lease / 3)));
    this.#claimTimer = setInterval(() => void this.#claim(), Math.max(15, Math.floor(lease / 2)));
    this.#readLoop = this.#read();
    this.#settings.log(
      `weir worker ${this.name}: serving ${this.services.join(", ")} from ${this.#settings.redis.server} (concurrency ${this.#settings.concurrency}, lease ${lease} ms)`,
    );
  }

  /**
   * Stops serving: entries not started are handed back at once; running ones get `graceMs` to
   * finish (then they are aborted and handed back). Resolves when the worker has let go of
   * everything and closed its connections. Safe to call twice (the first grace applies).
   */
  stop(graceMs = 0): Promise<void> {
    if (this.#stopped !== undefined) {
      // a second stop cuts the first one's grace short when it asks for less
      if (graceMs === 0) this.#cutGrace?.();
      return this.#stopped;
    }
    this.#stopped = this.#shutDown(graceMs);
    return this.#stopped;
  }

  async #declare(): Promise<void> {
    for (const stream of this.#streams) await ensureGroup(this.#commands.client, stream, WORKER_GROUP);
  }

  // ---- taking entries ----

  async #read(): Promise<void> {
    const client = this.#reader.client;
    while (!this.#stopping && this.#failure === undefined) {
      const room = this.#room();
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.#roomWaiter = resolve));
        continue;
      }
      const recovering = this.#recover;
      this.#recover = false;
      let result: Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;
      try {
        result = (await client.callBuffer(
          "XREADGROUP",
          "GROUP",
          WORKER_GROUP,
          this.name,
          "COUNT",
          recovering ? 10_000 : room,
          ...(recovering ? [] : ["BLOCK", BLOCK_MS]),
          "STREAMS",
          ...this.#streams,
          ...this.#streams.map(() => (recovering ? "0" : ">")),
        )) as Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null;
      } catch (error) {
        if (this.#stopping || this.#failure !== undefined) return;
        // Redis lost the groups (it restarted empty): declare them again
        if (error instanceof Error && error.message.startsWith("NOGROUP")) await this.#declare().catch(() => undefined);
        else await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (result === null) continue;
      const delivered: Delivered[] = [];
      for (const [streamKey, entries] of result) {
        const stream = streamKey.toString();
        for (const [rawId, fields] of entries) {
          const id = rawId.toString();
          // recovering: entries held already are skipped; one deleted since (no fields) is let go
          if (recovering && this.#held.get(stream, id) !== undefined) continue;
          if (fields === null) {
            void client.xack(stream, WORKER_GROUP, id).catch(() => undefined);
            continue;
          }
          delivered.push({ stream, id, raw: fieldOf(fields, "m"), deliveries: 1, previous: "" });
        }
      }
      await this.#intake(delivered);
      this.#schedulePump();
    }
  }

  /** Takes over entries idle past the lease on other workers. */
  async #claim(): Promise<void> {
    if (this.#stopping || this.#failure !== undefined || !this.#commands.up) return;
    for (const stream of this.#streams) {
      const room = this.#room();
      // no room (a suspect taken above runs alone): stop claiming, but still run what was taken
      if (room <= 0) break;
      let claimed;
      try {
        claimed = await claimStale(
          this.#commands.client,
          stream,
          WORKER_GROUP,
          this.name,
          this.#settings.leaseMs,
          room,
        );
      } catch {
        continue;
      }
      this.stats.claimed += claimed.length;
      await this.#intake(
        claimed.map((c) => ({ stream, id: c.id, raw: c.body, deliveries: c.deliveries, previous: c.previous })),
      );
    }
    this.#schedulePump();
  }

  /**
   * Entries delivered to this worker: decoded (a malformed one is acked and deleted), those of a
   * run whose origin is gone dropped unrun (acked and deleted), the others taken.
   */
  async #intake(delivered: readonly Delivered[]): Promise<void> {
    const bodies: Array<[Delivered, RequestBody]> = [];
    for (const d of delivered) {
      let body: RequestBody | undefined;
      try {
        body = d.raw === undefined ? undefined : unpackBody<RequestBody>(d.raw);
      } catch {
        body = undefined;
      }
      if (body !== undefined && Array.isArray(body.x)) bodies.push([d, body]);
      else {
        // not ours to understand: ack and delete it so it does not come back
        this.#settings.log(`weir worker ${this.name}: dropped malformed entry ${d.id} on ${d.stream}`);
        this.#drop(d.stream, d.id);
      }
    }
    if (bodies.length === 0) return;
    const dead = await this.#liveness.dead(bodies.map(([, body]) => body.r));
    for (const [d, body] of bodies) {
      if (dead.has(body.r)) {
        this.stats.dropped++;
        this.#drop(d.stream, d.id);
      } else this.#take(d.stream, d.id, body, d.deliveries, d.previous);
    }
  }

  /** Acks and deletes an entry without answering it. */
  #drop(stream: string, id: string): void {
    void completeEntries(
      this.#commands.client,
      stream,
      WORKER_GROUP,
      this.name,
      [],
      [{ id, run: 0, batch: 0, first: 0, size: 0, mask: "", payload: Buffer.alloc(0) }],
    ).catch(() => undefined);
  }

  /** An entry delivered to this worker (`deliveries` 1 when read fresh, more when claimed). */
  #take(stream: string, id: string, body: RequestBody, deliveries: number, previous: string): void {
    const service = this.#services.get(stream)!;
    // stopping: leave it pending here; the shutdown hands back whatever Redis counts as ours
    if (this.#stopping) return;
    const entry = new HeldEntry(stream, id, body, service, deliveries + (body.p ?? 0));
    this.#hold(entry);
    if (this.#endedRuns.has(body.r)) {
      entry.dropped = true;
      this.#finish(entry);
      return;
    }
    if (entry.deliveries > this.#settings.maxDeliveries) {
      this.stats.exhausted++;
      this.#settings.log(
        `weir worker ${this.name}: entry ${id} of stage "${body.s}" was delivered ${entry.deliveries - 1} times without an answer: answering WEIR_FLEET_DELIVERIES`,
      );
      entry.finished = true;
      entry.answer = () => entry.deliveriesReply(this.name, previous);
      this.#answer(entry, entry.answer());
      return;
    }
    if (deliveries >= 2 && entry.size > 1) {
      // its worker died or stalled holding it: one entry per item, so a poison item ends alone
      this.stats.split++;
      entry.finished = true;
      void this.#requeue(stream, [{ id, bodies: entry.split() }]).finally(() => this.#unhold(entry));
      return;
    }
    if (entry.deliveries >= 2) {
      // a suspect: a worker died or stalled holding it. It runs alone, so that if it kills this
      // worker too, no other entry is charged a delivery for it.
      if (this.#solo !== undefined) {
        void this.#giveBack([entry]);
        return;
      }
      this.#solo = entry;
      void this.#giveBack([...this.#ready].filter((e) => e !== entry && e.next === 0 && !e.finished));
    }
    this.#ready.push(entry);
  }

  /** Entries this worker may take now: none while a suspect waits to run alone. */
  #room(): number {
    return this.#solo !== undefined ? 0 : this.#settings.prefetch - this.#held.size;
  }

  /**
   * Puts entries not started back in the stream for other workers, their deliveries so far kept
   * in the body (`p`), without counting as handed back at shutdown.
   */
  async #giveBack(entries: HeldEntry[]): Promise<void> {
    const byStream = new Map<string, Requeue[]>();
    for (const e of entries) {
      e.finished = true;
      e.fenced = true;
      this.#unhold(e);
      let list = byStream.get(e.stream);
      if (list === undefined) byStream.set(e.stream, (list = []));
      list.push({ id: e.id, bodies: e.deliveries >= 2 ? [e.carrying()] : [] });
    }
    this.#ready = this.#ready.filter((e) => !e.finished);
    await Promise.all([...byStream].map(([stream, list]) => this.#requeue(stream, list)));
  }

  #hold(entry: HeldEntry): void {
    this.#held.add(entry);
  }

  #unhold(entry: HeldEntry): void {
    this.#held.delete(entry);
  }

  /** An entry was let go: room to read more; wake a shutdown waiting for the worker to empty. */
  #released(): void {
    const waiter = this.#roomWaiter;
    this.#roomWaiter = undefined;
    waiter?.();
    if (this.#held.size === 0) {
      const idle = this.#idleWaiter;
      this.#idleWaiter = undefined;
      idle?.();
    }
  }

  // ---- running items ----

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(this.#pump);
  }

  #run(): void {
    const sliceEnd = performance.now() + SLICE_MS;
    const concurrency = this.#settings.concurrency;
    while (this.#ready.length > 0 && this.#runningItems < concurrency) {
      const entry = this.#ready[0]!;
      if (entry.finished || entry.dropped) {
        this.#ready.shift();
        if (!entry.finished) this.#skipRest(entry);
        continue;
      }
      // the suspect starts once everything else here has ended
      if (entry === this.#solo && entry.next === 0 && this.#held.othersUnfinished(entry)) {
        if (this.#ready.length > 1) {
          this.#ready.push(this.#ready.shift()!);
          if (this.#ready[0] === entry) return;
          continue;
        }
        return;
      }
      if (entry.startedAt < 0) entry.startedAt = performance.now();
      while (entry.next < entry.size && this.#runningItems < concurrency) this.#start(entry, entry.next++);
      if (entry.next >= entry.size) this.#ready.shift();
      if (entry.complete) this.#finish(entry);
      if (performance.now() > sliceEnd) {
        this.#schedulePump();
        return;
      }
    }
  }

  #start(entry: HeldEntry, k: number): void {
    if (entry.settled[k] === 1) return; // cancelled before it started
    if (!runItem(entry, k, () => this.#asyncEnded(entry))) {
      this.stats.items++;
      return;
    }
    this.#runningItems++;
  }

  /** An asynchronous item of `entry` settled (or timed out): its slot is free. */
  #asyncEnded(entry: HeldEntry): void {
    this.stats.items++;
    this.#runningItems--;
    if (entry.complete) this.#finish(entry);
    this.#schedulePump();
  }

  /** The rest of a dropped entry's items will not run. */
  #skipRest(entry: HeldEntry): void {
    entry.next = entry.size;
    if (entry.complete) this.#finish(entry);
  }

  /** Every item of `entry` has settled (or it was dropped): answer it, ack it, or forget it. */
  #finish(entry: HeldEntry): void {
    if (entry.finished) return;
    entry.finished = true;
    if (entry === this.#solo) {
      this.#solo = undefined;
      const waiter = this.#roomWaiter;
      this.#roomWaiter = undefined;
      waiter?.();
    }
    if (this.#solo !== undefined) this.#schedulePump();
    if (entry.fenced) {
      this.#unhold(entry);
      return;
    }
    if (entry.dropped) {
      this.stats.dropped++;
      this.#answer(entry, Buffer.alloc(0));
      return;
    }
    this.stats.entries++;
    const elapsed = entry.startedAt < 0 ? 0 : performance.now() - entry.startedAt;
    entry.answer = () => entry.reply(this.name, elapsed);
    this.#answer(entry, entry.answer());
  }

  #answer(entry: HeldEntry, payload: Buffer): void {
    this.#answers.add(entry, payload);
  }

  // ---- leases ----

  async #renewLeases(): Promise<void> {
    if (this.#failure !== undefined || !this.#commands.up) return;
    for (const [stream, byId] of this.#held.streams()) {
      const ids = [...byId.keys()];
      if (ids.length === 0) continue;
      let lost: string[];
      try {
        lost = await extendLeases(this.#commands.client, stream, WORKER_GROUP, this.name, ids);
      } catch {
        continue;
      }
      for (const id of lost) {
        const entry = byId.get(id);
        if (entry === undefined || entry.finished) continue;
        // another worker has it now: stop its items and forget it
        this.stats.fenced++;
        entry.fenced = true;
        this.#abort(
          entry,
          new CancelledError(`entry ${id}`, new Error("its lease expired: another worker took it over")),
        );
        this.#settings.log(`weir worker ${this.name}: lost entry ${id} (lease expired): another worker has it`);
      }
    }
    await this.#dropDeadRuns();
  }

  /**
   * Drops the entries of runs whose liveness key is gone: their origin died (kill -9) and stopped
   * refreshing it, so nobody reads their results. Their work stops within a lease renewal after
   * the key expires (`runTtlMs`). Not remembered as ended: an origin whose Redis restarted empty
   * declares its run again and sends its batches again.
   */
  async #dropDeadRuns(): Promise<void> {
    const runs = this.#held.runs();
    if (runs.length === 0) return;
    for (const run of await this.#liveness.dead(runs, true)) {
      const reason = new CancelledError(`run ${run}`, new Error("its origin stopped refreshing it"));
      for (const entry of this.#held.ofRun(run)) {
        entry.dropped = true;
        this.#abort(entry, reason);
      }
    }
  }

  /** Aborts an entry's running items and skips the rest; it finishes when the running ones settle. */
  #abort(entry: HeldEntry, reason: unknown): void {
    for (const ctx of entry.running.values()) ctx.cancel(reason);
    for (let k = entry.next; k < entry.size; k++) entry.settled[k] = 1;
    entry.next = entry.size;
    if (entry.complete) this.#finish(entry);
  }

  // ---- cancellations ----

  #control(message: Buffer): void {
    let m: ControlMessage;
    try {
      m = unpackBody<ControlMessage>(message);
    } catch {
      return;
    }
    const run = m[1];
    const held = this.#held.ofRun(run);
    if (m[0] === CONTROL_RUN_ENDED) {
      this.#endedRuns.add(run);
      if (this.#endedRuns.size > ENDED_RUNS) this.#endedRuns.delete(this.#endedRuns.values().next().value!);
      const reason = new CancelledError(`run ${run}`, new Error("its origin ended the run"));
      for (const entry of held) {
        entry.dropped = true;
        this.#abort(entry, reason);
      }
    } else if (m[0] === CONTROL_CANCEL && held.length > 0) {
      const reason = new CancelledError(`run ${run}`, new Error("the origin cancelled the item"));
      for (const [b, positions] of m[2])
        for (const entry of held) if (entry.body.b === b) entry.cancel(positions, reason);
    }
  }

  // ---- shutting down ----

  async #requeue(stream: string, entries: Requeue[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      const fenced = await requeueEntries(this.#commands.client, stream, WORKER_GROUP, this.name, entries);
      this.stats.fenced += fenced.length;
    } catch (error) {
      this.#settings.log(`weir worker ${this.name}: could not hand back ${entries.length} entries: ${String(error)}`);
    }
  }

  async #shutDown(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#claimTimer);
    // a blocked read returns within BLOCK_MS; what it delivers then is handed back below
    const waiter = this.#roomWaiter;
    this.#roomWaiter = undefined;
    waiter?.();
    if (this.#failure === undefined) {
      // entries not started: back at once
      await this.#handBack((e) => e.next === 0 && !e.finished);
      if (this.#held.size > 0 && graceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (this.#idleWaiter = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
          new Promise<void>((resolve) => (this.#cutGrace = resolve)),
        ]);
        clearTimeout(timer);
        this.#cutGrace = undefined;
      }
      // past the grace: abort the rest and hand it back
      await this.#handBack((e) => !e.finished);
      await this.#readLoop;
      await this.#handBackPending();
      while (this.#answers.busy) await new Promise((r) => setImmediate(r));
      for (const stream of this.#streams)
        await this.#commands.client.xgroup("DELCONSUMER", stream, WORKER_GROUP, this.name).catch(() => undefined);
    }
    clearInterval(this.#leaseTimer);
    await Promise.all([this.#reader.close(0), this.#commands.close(), this.#subscriber.close()]);
    this.#settings.log(
      `weir worker ${this.name}: stopped (${this.stats.entries} entries, ${this.stats.items} items answered; ${this.stats.handedBack} handed back; ${this.stats.fenced} fenced off; ${this.stats.answeredBefore} answered before)`,
    );
  }

  /** Hands back the held entries `which` selects (their running items are aborted). */
  async #handBack(which: (entry: HeldEntry) => boolean): Promise<void> {
    const reason = new CancelledError(`weir worker ${this.name}`, new Error("the worker is shutting down"));
    for (const [stream, byId] of this.#held.streams()) {
      const chosen = [...byId.values()].filter(which);
      if (chosen.length === 0) continue;
      for (const entry of chosen) {
        entry.fenced = true; // its results, if any come, are not ours to send any more
        for (const ctx of entry.running.values()) ctx.cancel(reason);
        entry.next = entry.size;
        entry.finished = true;
        this.#unhold(entry);
      }
      this.#ready = this.#ready.filter((e) => !e.finished);
      this.stats.handedBack += chosen.length;
      await this.#requeue(
        stream,
        chosen.map((e) => ({ id: e.id, bodies: [] })),
      );
    }
  }

  /** Hands back whatever Redis still counts as pending for this worker (delivered while it stopped). */
  async #handBackPending(): Promise<void> {
    for (const stream of this.#streams) {
      let pending: Array<[string, string, number, number]>;
      try {
        pending = (await this.#commands.client.xpending(stream, WORKER_GROUP, "-", "+", 10_000, this.name)) as Array<
          [string, string, number, number]
        >;
      } catch {
        continue;
      }
      if (pending.length === 0) continue;
      this.stats.handedBack += pending.length;
      await this.#requeue(
        stream,
        pending.map(([id]) => ({ id, bodies: [] })),
      );
    }
  }

  #fail(error: WeirError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#settings.log(`weir worker ${this.name}: ${error.message}`);
    this.#resolveFailed?.(error);
    const waiter = this.#roomWaiter;
    this.#roomWaiter = undefined;
    waiter?.();
  }
}

/**
 * The test hook behind `WEIR_TEST_HOLD_FIRST_ANSWER=1`: the worker's first answer waits, after
 * its items ran and before its answer script, until the process gets SIGCONT. A drill kills the
 * worker there (SIGKILL), or stops it (SIGSTOP) and resumes it (SIGCONT) once another worker
 * took its entry over.
 */
function holdUntilContinued(settings: FleetWorkerSettings): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      process.once("SIGCONT", () => resolve());
      settings.log(
        `weir worker ${settings.name}: holding its first answer until SIGCONT (WEIR_TEST_HOLD_FIRST_ANSWER)`,
      );
    });
}
