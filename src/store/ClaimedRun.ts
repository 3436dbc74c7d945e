import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { SerializationError } from "../errors/SerializationError.js";
import { WeirError } from "../errors/WeirError.js";
import { func, nonEmptyString, nonNegativeInt, oneOf, plainObject, positiveInt } from "../options/validate.js";
import type { TimerHandle } from "../time/Clock.js";
import type { Checkpoint, CheckpointInput } from "./Checkpoint.js";
import { encode } from "./codec.js";
import type { NewDeadLetter } from "./DeadLetterRecord.js";
import { checkpoint as checkpointRecord, decodeBlob } from "./decodeRows.js";
import { OpenGroupOps } from "./OpenGroupOps.js";
import { RangeSet } from "./RangeSet.js";
import type { InboxEntry, RunHandle } from "./RunHandle.js";
import type { RunHost } from "./RunHost.js";
import type { RunRecord, StoredRunState } from "./RunRecord.js";
import { storedError } from "./StoredError.js";
import { deadLetterOp } from "./deadLetterOp.js";
import type { AddedTask, AddedTaskRecord, TaskResultRecord } from "./TaskRecords.js";
import type { CheckpointOp, InboxAddOp, RunOp, SnapshotOp } from "./WriteOp.js";

const runStates: readonly StoredRunState[] = ["running", "completed", "failed", "cancelled"];

/**
 * The {@link RunHandle} of both stores. Guarantees: writes are validated and encoded before they are
 * queued (a refused value queues nothing); a handle that saw a failed or fenced commit takes no
 * more writes; within one commit group, an inbox item added then removed and a checkpoint replaced
 * by a later one never reach the backend.
 */
export class ClaimedRun implements RunHandle {
  readonly id: string;
  readonly kind: RunRecord["kind"];
  readonly name: string;
  readonly epoch: number;
  readonly resumed: boolean;
  readonly record: RunRecord;
  readonly #host: RunHost;
  /** Writes queued in group `#pendingGeneration`. */
  #pendingCount = 0;
  #pendingGeneration = -1;
  /** Inbox adds of the open group, by index: a remove of one of them cancels both. */
  readonly #inboxAdds: OpenGroupOps<number, InboxAddOp>;
  /**
   * Indexes below this may have an inbox row from before this claim (a resumed run's): removing
   * one still deletes the row, even when its add in this group was cancelled.
   */
  readonly #inboxFloor: number;
  /** The open group's checkpoint and snapshot of this run: a later one cancels the earlier. */
  readonly #latest: OpenGroupOps<"checkpoint" | "snapshot", CheckpointOp | SnapshotOp>;
  /** Makes the checkpoint `progressed()` asks for (set by `checkpointWith`). */
  #makeCheckpoint: (() => CheckpointInput) | undefined;
  /** The group in which `progressed()` last asked for a checkpoint. */
  #progressGeneration = -1;
  /** Runs at the start of a commit the run progressed in: queues the checkpoint `#makeCheckpoint` makes. */
  readonly #takeCheckpoint = (): void => {
    if (this.#failure !== undefined || this.#makeCheckpoint === undefined) return;
    try {
      this.#queueCheckpoint(this.#makeCheckpoint());
    } catch (error) {
      this.fail(WeirError.is(error) ? error : new SerializationError("checkpoint", error, this.#where));
    }
  };
  #failure: WeirError | undefined;
  #listeners = new Set<(error: WeirError) => void>();
  /** Set by `finish()`: no writes after. */
  #finished = false;
  #heartbeat: TimerHandle | undefined;
  readonly #where: string;

  constructor(host: RunHost, record: RunRecord, resumed: boolean, inboxFloor: number) {
    this.#host = host;
    this.record = record;
    this.id = record.id;
    this.kind = record.kind;
    this.name = record.name;
    this.epoch = record.epoch;
    this.resumed = resumed;
    this.#inboxFloor = inboxFloor;
    this.#inboxAdds = new OpenGroupOps(host.group);
    this.#latest = new OpenGroupOps(host.group);
    this.#where = `run "${record.id}"`;
    this.#scheduleHeartbeat();
  }

  /** Where the run's store lives (a file path, or `":memory:"`). @internal */
  get storeLocation(): string {
    return this.#host.location;
  }

  get pending(): number {
    return this.#pendingGeneration === this.#host.group.generation ? this.#pendingCount : 0;
  }

  get failure(): WeirError | undefined {
    return this.#failure;
  }

  checkpoint(input: CheckpointInput): void {
    this.#checkWritable("checkpoint");
    this.#queueCheckpoint(input);
  }

  checkpointWith(make: () => CheckpointInput): void {
    this.#makeCheckpoint = func<() => CheckpointInput>(make, "checkpointWith", this.#where);
  }

  progressed(): void {
    if (this.#progressGeneration === this.#host.group.generation) return;
    this.#checkWritable("progressed");
    if (this.#makeCheckpoint === undefined) throw new TypeError(`${this.#where}: progressed() before checkpointWith()`);
    this.#progressGeneration = this.#host.group.generation;
    this.#countPending();
    this.#host.group.request(this.#takeCheckpoint);
  }

  #queueCheckpoint(input: CheckpointInput): void {
    const given = plainObject(input, "checkpoint", this.#where);
    const watermark = nonNegativeInt(given["watermark"], "checkpoint.watermark", this.#where);
    const done = doneRanges(input.done, this.#where);
    done.deleteBelow(watermark);
    const total = input.total === undefined ? undefined : nonNegativeInt(input.total, "checkpoint.total", this.#where);
    const op: CheckpointOp = {
      kind: "checkpoint",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      watermark,
      done: done.encode(),
      doneCount: watermark + done.size,
      accumulators: encode(input.accumulators ?? {}, "checkpoint accumulators", this.#where),
      stageState: encode(input.stageState ?? {}, "checkpoint stage state", this.#where),
      total,
      at: this.#host.now(),
    };
    this.#latest.supersede("checkpoint", op);
    this.#push(op);
  }

  /**
   * Queues a write of the caller's own rows into the store's SQLite file, run on the store's
   * connection inside the commit group's transaction (fenced like every write of the run).
   * `weir/sqlite`'s `sqliteSink` uses it; a memory store fails the commit.
   * @internal
   */
  writeWith(apply: (connection: unknown) => void): void {
    this.#checkWritable("writeWith");
    this.#push({ kind: "sql", runId: this.id, epoch: this.epoch, cancelled: false, apply });
  }

  async lastCheckpoint(): Promise<Checkpoint | undefined> {
    await this.#host.commitAll();
    const row = this.#host.backend.readCheckpoint(this.id);
    return row === undefined ? undefined : checkpointRecord(this.#host.location, this.id, row);
  }

  inboxAdd(index: number, item: unknown): void {
    this.#checkWritable("inboxAdd");
    nonNegativeInt(index, "inboxAdd index", this.#where);
    const op: InboxAddOp = {
      kind: "inbox-add",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      index,
      item: encode(item, `inbox item ${index}`, this.#where),
    };
    this.#inboxAdds.supersede(index, op);
    this.#push(op);
  }

  inboxRemove(index: number): void {
    this.#checkWritable("inboxRemove");
    nonNegativeInt(index, "inboxRemove index", this.#where);
    const add = this.#inboxAdds.get(index);
    if (add !== undefined) {
      add.cancelled = true;
      this.#inboxAdds.delete(index);
      if (index >= this.#inboxFloor) return; // never on disk: nothing to delete
    }
    this.#push({ kind: "inbox-remove", runId: this.id, epoch: this.epoch, cancelled: false, index });
  }

  async inbox(page: { readonly after?: number; readonly limit?: number } = {}): Promise<InboxEntry[]> {
    const after = page.after === undefined ? -1 : nonNegativeInt(page.after, "inbox after", this.#where);
    const limit = page.limit === undefined ? 10_000 : positiveInt(page.limit, "inbox limit", this.#where);
    await this.#host.commitAll();
    return this.#host.backend.readInbox(this.id, after, limit).map((row) => ({
      index: row.index,
      item: decodeBlob(this.#host.location, row.item, `${this.#where}: inbox item ${row.index}`),
    }));
  }

  recordTaskResult(task: string, result: unknown, info: { readonly attempts: number }): void {
    this.#checkWritable("recordTaskResult");
    nonEmptyString(task, "task", this.#where);
    const attempts = positiveInt(info?.attempts, "attempts", `${this.#where}: task "${task}"`);
    const bytes = encode(result, "task result", `${this.#where}: task "${task}"`);
    const at = this.#host.now();
    this.#push({
      kind: "task-result",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      task,
      result: bytes,
      attempts,
      at,
    });
  }

  async taskResults(): Promise<ReadonlyMap<string, TaskResultRecord>> {
    await this.#host.commitAll();
    const out = new Map<string, TaskResultRecord>();
    for (const row of this.#host.backend.readTaskResults(this.id)) {
      const where = `${this.#where}: result of task "${row.task}"`;
      out.set(row.task, {
        task: row.task,
        result: decodeBlob(this.#host.location, row.result, where),
        attempts: row.attempts,
        completedAt: row.completedAt,
      });
    }
    return out;
  }

  recordAddedTask(task: AddedTask): void {
    this.#checkWritable("recordAddedTask");
    const name = nonEmptyString(task?.task, "task", this.#where);
    const parent = nonEmptyString(task.parent, "parent", `${this.#where}: added task "${name}"`);
    const spec = encode(task.spec, "added task spec", `${this.#where}: added task "${name}"`);
    const at = this.#host.now();
    this.#push({
      kind: "task-added",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      task: name,
      parent,
      spec,
      at,
    });
  }

  async addedTasks(): Promise<AddedTaskRecord[]> {
    await this.#host.commitAll();
    return this.#host.backend.readAddedTasks(this.id).map((row) => ({
      seq: row.seq,
      task: row.task,
      parent: row.parent,
      spec: decodeBlob(this.#host.location, row.spec, `${this.#where}: added task "${row.task}"`),
      addedAt: row.addedAt,
    }));
  }

  addDeadLetter(letter: NewDeadLetter): void {
    this.#checkWritable("addDeadLetter");
    this.#push(deadLetterOp(letter, this, this.#host.now()));
  }

  publishSnapshot(snapshot: unknown): void {
    this.#checkWritable("publishSnapshot");
    const op: SnapshotOp = {
      kind: "snapshot",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      snapshot: encode(snapshot, "snapshot", this.#where),
    };
    this.#latest.supersede("snapshot", op);
    this.#push(op);
  }

  async commit(): Promise<void> {
    this.#host.checkOpen("commit");
    this.#host.group.flush();
    if (this.#failure !== undefined) throw this.#failure;
  }

  async committed(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.pending > 0) await this.#host.group.settled();
    if (this.#failure !== undefined) throw this.#failure;
  }

  onFailure(listener: (error: WeirError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async finish(state: StoredRunState, error?: unknown): Promise<void> {
    if (this.#finished && this.#failure === undefined) return;
    oneOf(state, runStates, "state", this.#where);
    this.#checkWritable("finish");
    const stored = error === undefined ? undefined : encode(storedError(error), "run error", this.#where);
    this.#push({
      kind: "run-end",
      runId: this.id,
      epoch: this.epoch,
      cancelled: false,
      state,
      error: stored,
      at: this.#host.now(),
    });
    this.#stop();
    try {
      await this.commit();
    } finally {
      this.#host.released(this.id, this.epoch);
    }
  }

  /** The store failed this handle's commit (`error`) or fenced it off: no more writes. */
  fail(error: WeirError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#stop();
    this.#host.released(this.id, this.epoch);
    for (const listener of [...this.#listeners]) listener(error);
  }

  /** Stops the heartbeat; the handle takes no more writes. */
  #stop(): void {
    this.#finished = true;
    this.#heartbeat?.cancel();
    this.#heartbeat = undefined;
  }

  #checkWritable(operation: string): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#host.checkOpen(operation);
    if (this.#finished) throw new TypeError(`${this.#where}: ${operation} after finish()`);
  }

  #push(op: RunOp): void {
    this.#countPending();
    this.#host.group.push(op);
  }

  #countPending(): void {
    const generation = this.#host.group.generation;
    if (this.#pendingGeneration !== generation) {
      this.#pendingGeneration = generation;
      this.#pendingCount = 0;
    }
    this.#pendingCount++;
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.#host.clock.setTimer(() => {
      if (this.#finished) return;
      // a commit touches the heartbeat of every run it holds writes of: only an idle run needs one
      if (this.pending === 0) {
        this.#push({ kind: "heartbeat", runId: this.id, epoch: this.epoch, cancelled: false, at: this.#host.now() });
      }
      this.#scheduleHeartbeat();
    }, this.#host.heartbeatMs);
  }
}

/**
 * A checkpoint's done ranges as this module's own `RangeSet`: a copy of the given one, also when it
 * comes from another copy of weir (a job that imports weir's sources while the CLI runs its build).
 */
function doneRanges(given: unknown, where: string): RangeSet {
  if (given === undefined) return new RangeSet();
  if (given instanceof RangeSet) return given.clone();
  const ranges = (given as { ranges?: unknown } | null)?.ranges;
  if (typeof ranges !== "function") throw new InvalidOptionError("checkpoint.done", "a RangeSet", given, where);
  return RangeSet.from((ranges as () => Iterable<readonly [number, number]>).call(given));
}
