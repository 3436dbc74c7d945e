import { randomUUID } from "../load/onFirstUse.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { PlanChangedError } from "../errors/PlanChangedError.js";
import { RunClaimError } from "../errors/RunClaimError.js";
import { RunFencedError } from "../errors/RunFencedError.js";
import { StoreError } from "../errors/StoreError.js";
import { WeirError } from "../errors/WeirError.js";
import { nonEmptyString, nonNegativeInt, oneOf, plainObject, positiveInt, boolean } from "../options/validate.js";
import type { Clock } from "../time/Clock.js";
import type { CacheTier } from "./CacheTier.js";
import { ClaimedRun } from "./ClaimedRun.js";
import { encode } from "./codec.js";
import type { DeadLetters } from "./DeadLetters.js";
import { decodeBlob, runRecord } from "./decodeRows.js";
import { GroupCommit } from "./GroupCommit.js";
import { newOwner, ownerAlive } from "./ownership.js";
import { planChanges, planHash, type PlanShape } from "./PlanShape.js";
import type { RunHandle } from "./RunHandle.js";
import type { RunHost } from "./RunHost.js";
import type { CreateRunOptions, ResumeRunOptions, RunFilter, RunKind, RunOwner, RunRecord } from "./RunRecord.js";
import type { Store } from "./Store.js";
import type { StoreBackend, RunRow } from "./StoreBackend.js";
import type { FilledStoreOptions } from "./StoreOptions.js";
import { StoreCache } from "./StoreCache.js";
import { StoreDeadLetters } from "./StoreDeadLetters.js";
import { closeAtExit } from "./closeAtExit.js";
import type { WriteOp } from "./WriteOp.js";

const runKinds: readonly RunKind[] = ["pipeline", "workflow"];

/**
 * The {@link Store} both implementations share: claims and fencing, encoding, the group-commit
 * writer, and routing a failed or fenced commit to the handles it concerns. Only the rows differ
 * (a {@link StoreBackend}: maps in memory, tables in SQLite).
 */
export class DurableStore implements Store, RunHost {
  readonly location: string;
  readonly backend: StoreBackend;
  readonly group: GroupCommit;
  readonly clock: Clock;
  readonly now: () => number;
  readonly heartbeatMs: number;
  readonly deadLetters: DeadLetters;
  readonly cache: CacheTier;
  readonly #leaseMs: number;
  /** This store's identity as a run owner. */
  readonly #owner: RunOwner = newOwner();
  /** Handles of this store that are not finished, by `runId \0 epoch`. */
  readonly #handles = new Map<string, ClaimedRun>();
  #closed = false;
  readonly #unregisterExit: () => void;

  constructor(backend: StoreBackend, options: FilledStoreOptions) {
    this.backend = backend;
    this.location = backend.location;
    this.clock = options.clock;
    this.now = options.now;
    this.heartbeatMs = options.heartbeatMs;
    this.#leaseMs = options.leaseMs;
    this.group = new GroupCommit(
      (ops) => this.#apply(ops),
      options.clock,
      options.commitWindowMs,
      options.commitMaxOps,
    );
    this.deadLetters = new StoreDeadLetters(this);
    this.cache = new StoreCache(this);
    // a process that ends without close() still commits what it queued (a sync backend can, in "exit")
    this.#unregisterExit = closeAtExit(() => this.group.flush());
  }

  async createRun(options: CreateRunOptions): Promise<RunHandle> {
    this.checkOpen("createRun");
    const given = plainObject(options, "createRun options", "store");
    const id = given["id"] === undefined ? randomUUID() : nonEmptyString(given["id"], "id", "createRun");
    const where = `createRun "${id}"`;
    const kind = oneOf(given["kind"], runKinds, "kind", where);
    const name = nonEmptyString(given["name"], "name", where);
    const plan = checkPlan(given["plan"], where);
    const total = given["total"] === undefined ? undefined : nonNegativeInt(given["total"], "total", where);
    const inputs = given["inputs"] === undefined ? undefined : encode(given["inputs"], "run inputs", `run "${id}"`);
    const at = this.now();
    await this.commitAll();
    const row = this.backend.transaction("createRun", () => {
      if (this.backend.readRun(id) !== undefined) {
        throw new RunClaimError(
          "WEIR_RUN_EXISTS",
          id,
          "a run with this id already exists; resume it or pick another id",
        );
      }
      const fresh = {
        id,
        kind,
        name,
        planHash: planHash(plan),
        plan: encode(plan, "plan", where),
        inputs,
        state: "running" as const,
        owner: this.#owner,
        epoch: 1,
        heartbeatAt: at,
        startedAt: at,
        updatedAt: at,
        endedAt: undefined,
        total,
        error: undefined,
        snapshot: undefined,
      };
      this.backend.insertRun(fresh);
      return { ...fresh, done: 0, deadLetters: 0 };
    });
    return this.#handle(row, false, 0);
  }

  async resumeRun(id: string, options: ResumeRunOptions): Promise<RunHandle> {
    this.checkOpen("resumeRun");
    nonEmptyString(id, "id", "resumeRun");
    const where = `resumeRun "${id}"`;
    const given = plainObject(options, "resumeRun options", where);
    const kind = oneOf(given["kind"], runKinds, "kind", where);
    const plan = checkPlan(given["plan"], where);
    const force = given["force"] === undefined ? false : boolean(given["force"], "force", where);
    const takeover = given["takeover"] === undefined ? false : boolean(given["takeover"], "takeover", where);
    const hash = planHash(plan);
    await this.commitAll();
    const row = this.backend.transaction("resumeRun", () => {
      const stored = this.backend.readRun(id);
      if (stored === undefined || stored.kind !== kind) {
        const other = stored === undefined ? "" : ` (it is a ${stored.kind} run of "${stored.name}")`;
        throw new RunClaimError("WEIR_RUN_NOT_FOUND", id, `no ${kind} run with this id in ${this.location}${other}`);
      }
      if (!takeover && this.#live(stored)) throw new RunClaimError("WEIR_RUN_OWNED", id, this.#ownedBy(stored));
      if (stored.planHash !== hash && !force) {
        const before = decodeBlob(this.location, stored.plan, `run "${id}": plan`) as PlanShape;
        throw new PlanChangedError(id, kind, planChanges(before, plan));
      }
      const at = this.now();
      const replan = stored.planHash === hash ? undefined : { hash, bytes: encode(plan, "plan", where) };
      const claim = { owner: this.#owner, epoch: stored.epoch + 1, at, plan: replan };
      this.backend.claimRun(id, claim);
      return {
        ...stored,
        ...(replan === undefined ? {} : { planHash: replan.hash, plan: replan.bytes }),
        state: "running" as const,
        owner: this.#owner,
        epoch: claim.epoch,
        heartbeatAt: at,
        updatedAt: at,
        endedAt: undefined,
        error: undefined,
      };
    });
    // an earlier handle of this very store on the run is fenced off now
    for (const handle of this.#handles.values()) {
      if (handle.id === id) handle.fail(new RunFencedError(id, handle.epoch, row.epoch));
    }
    return this.#handle(row, true, this.backend.inboxMaxIndex(id) + 1);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    this.checkOpen("getRun");
    await this.commitAll();
    const row = this.backend.readRun(nonEmptyString(id, "id", "getRun"));
    return row === undefined ? undefined : runRecord(this.location, row, this.#live(row));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    this.checkOpen("listRuns");
    const given = plainObject(filter, "listRuns filter", "store");
    const limit = given["limit"] === undefined ? 100 : positiveInt(given["limit"], "limit", "listRuns");
    await this.commitAll();
    const live = filter.live;
    // liveness is judged here (pids, hostname): filter it after the rows are read
    const rows = this.backend.listRuns(filter, live === undefined ? limit : Number.MAX_SAFE_INTEGER);
    const records = rows.map((row) => runRecord(this.location, row, this.#live(row)));
    return (live === undefined ? records : records.filter((r) => r.live === live)).slice(0, limit);
  }

  async deleteRun(id: string): Promise<boolean> {
    this.checkOpen("deleteRun");
    nonEmptyString(id, "id", "deleteRun");
    await this.commitAll();
    return this.backend.transaction("deleteRun", () => {
      const stored = this.backend.readRun(id);
      if (stored === undefined) return false;
      if (this.#live(stored)) throw new RunClaimError("WEIR_RUN_OWNED", id, this.#ownedBy(stored));
      return this.backend.deleteRun(id);
    });
  }

  async commit(): Promise<void> {
    this.checkOpen("commit");
    await this.commitAll();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // queue every open handle's release, then one last commit
    for (const handle of [...this.#handles.values()]) handle.finish("running").catch(() => {});
    const error = this.group.flush();
    this.#closed = true;
    this.#unregisterExit();
    await this.backend.close();
    if (error !== undefined) throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  checkOpen(operation: string): void {
    if (this.#closed) throw new StoreError("WEIR_STORE_CLOSED", this.location, operation, "the store is closed");
  }

  async commitAll(): Promise<void> {
    const error = this.group.flush();
    if (error !== undefined) throw error;
  }

  released(runId: string, epoch: number): void {
    this.#handles.delete(handleKey(runId, epoch));
  }

  #handle(row: RunRow, resumed: boolean, inboxFloor: number): ClaimedRun {
    const handle = new ClaimedRun(this, runRecord(this.location, row, true), resumed, inboxFloor);
    this.#handles.set(handleKey(row.id, row.epoch), handle);
    return handle;
  }

  /** Commits one group and tells the handles it concerns when their writes were fenced off or lost. */
  #apply(ops: WriteOp[]): void {
    let fenced: ReadonlyMap<string, number | undefined>;
    try {
      fenced = this.backend.commit(ops, this.now());
    } catch (error) {
      const failure = WeirError.is(error)
        ? error
        : new StoreError("WEIR_STORE_IO", this.location, "commit", String(error), { cause: error });
      for (const op of ops) {
        if (op.kind !== "cache-set") this.#handles.get(handleKey(op.runId, op.epoch))?.fail(failure);
      }
      throw failure;
    }
    if (fenced.size === 0) return;
    for (const op of ops) {
      if (op.kind === "cache-set" || !fenced.has(op.runId)) continue;
      this.#handles
        .get(handleKey(op.runId, op.epoch))
        ?.fail(new RunFencedError(op.runId, op.epoch, fenced.get(op.runId)));
    }
  }

  #live(row: RunRow): boolean {
    if (row.state !== "running" || row.owner === undefined) return false;
    if (row.owner.id === this.#owner.id) return this.#handles.has(handleKey(row.id, row.epoch));
    return ownerAlive(row.owner, row.heartbeatAt, this.now(), this.#leaseMs);
  }

  #ownedBy(row: RunRow): string {
    const owner = row.owner!;
    const ago = row.heartbeatAt === undefined ? "never" : `${((this.now() - row.heartbeatAt) / 1000).toFixed(1)} s ago`;
    const who = owner.id === this.#owner.id ? "this store" : `pid ${owner.pid} on host "${owner.host}"`;
    return `owned by ${who} (epoch ${row.epoch}, heartbeat ${ago}); pass takeover: true to fence it off`;
  }
}

function handleKey(runId: string, epoch: number): string {
  return `${runId}\0${epoch}`;
}

function checkPlan(value: unknown, where: string): PlanShape {
  if (!Array.isArray(value)) throw new InvalidOptionError("plan", "an array of { name, fingerprint }", value, where);
  const names = new Set<string>();
  value.forEach((part: unknown, i) => {
    const given = plainObject(part, `plan[${i}]`, where);
    const name = nonEmptyString(given["name"], `plan[${i}].name`, where);
    if (typeof given["fingerprint"] !== "string") {
      throw new InvalidOptionError(`plan[${i}].fingerprint`, "a string", given["fingerprint"], where);
    }
    if (names.has(name)) throw new InvalidOptionError(`plan[${i}].name`, "a name unique in the plan", name, where);
    names.add(name);
  });
  return value as PlanShape;
}
