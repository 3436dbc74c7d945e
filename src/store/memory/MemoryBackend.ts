import type { DeadLetterFilter } from "../DeadLetterRecord.js";
import type { RunFilter } from "../RunRecord.js";
import type {
  AddedTaskRow,
  CacheRow,
  CheckpointRow,
  ClaimRow,
  DeadLetterRow,
  FencedRuns,
  InboxRow,
  RunRow,
  StoreBackend,
  TaskResultRow,
} from "../StoreBackend.js";
import type { CacheSetOp, RunOp, WriteOp } from "../WriteOp.js";

type StoredRun = Omit<RunRow, "done" | "deadLetters">;

/** One run's rows besides its own. */
interface RunTables {
  checkpoint: (CheckpointRow & { readonly doneCount: number }) | undefined;
  /** Inbox items by index (sorted on read). */
  readonly inbox: Map<number, Uint8Array>;
  readonly results: Map<string, TaskResultRow>;
  readonly added: Map<string, AddedTaskRow>;
}

/**
 * Rows in maps, for `memoryStore()`: the same semantics as the SQLite tables (ordering, upserts,
 * fencing, eviction), gone with the process. A commit cannot fail half-way: every check that can
 * refuse an op runs before anything is changed.
 */
export class MemoryBackend implements StoreBackend {
  readonly location = ":memory:";
  readonly #runs = new Map<string, StoredRun>();
  readonly #tables = new Map<string, RunTables>();
  readonly #deadLetters = new Map<number, DeadLetterRow>();
  #nextDeadLetterId = 1;
  /** Cache entries per stage, in write order (a rewrite moves the key to the end). */
  readonly #cache = new Map<string, Map<string, CacheRow>>();

  transaction<T>(_operation: string, fn: () => T): T {
    return fn();
  }

  commit(ops: readonly WriteOp[], now: number): FencedRuns {
    const fenced = new Map<string, number | undefined>();
    const checked = new Set<string>();
    for (const op of ops) {
      if (op.kind === "cache-set" || checked.has(op.runId)) continue;
      checked.add(op.runId);
      const run = this.#runs.get(op.runId);
      if (run?.epoch !== op.epoch) fenced.set(op.runId, run?.epoch);
    }
    const touched = new Set<string>();
    const evict = new Map<string, number>();
    for (const op of ops) {
      if (op.cancelled) continue;
      if (op.kind === "cache-set") {
        this.#setCache(op);
        evict.set(op.stage, op.maxEntries);
        continue;
      }
      if (fenced.has(op.runId)) continue;
      touched.add(op.runId);
      this.#applyRunOp(op);
    }
    for (const id of touched) {
      const run = this.#runs.get(id)!;
      this.#runs.set(id, { ...run, heartbeatAt: run.owner === undefined ? run.heartbeatAt : now, updatedAt: now });
    }
    for (const [stage, maxEntries] of evict) this.#evict(stage, maxEntries, now);
    return fenced;
  }

  readRun(id: string): RunRow | undefined {
    const run = this.#runs.get(id);
    return run === undefined ? undefined : this.#withProgress(run);
  }

  insertRun(row: StoredRun): void {
    this.#runs.set(row.id, row);
    this.#tables.set(row.id, { checkpoint: undefined, inbox: new Map(), results: new Map(), added: new Map() });
  }

  claimRun(id: string, claim: ClaimRow): void {
    const run = this.#runs.get(id)!;
    this.#runs.set(id, {
      ...run,
      owner: claim.owner,
      epoch: claim.epoch,
      heartbeatAt: claim.at,
      updatedAt: claim.at,
      state: "running",
      endedAt: undefined,
      error: undefined,
      ...(claim.plan === undefined ? {} : { planHash: claim.plan.hash, plan: claim.plan.bytes }),
    });
  }

  listRuns(filter: RunFilter, limit: number): RunRow[] {
    return [...this.#runs.values()]
      .filter(
        (run) =>
          (filter.kind === undefined || run.kind === filter.kind) &&
          (filter.name === undefined || run.name === filter.name) &&
          (filter.state === undefined || run.state === filter.state),
      )
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
      .slice(0, limit)
      .map((run) => this.#withProgress(run));
  }

  deleteRun(id: string): boolean {
    this.#tables.delete(id);
    return this.#runs.delete(id);
  }

  readCheckpoint(runId: string): CheckpointRow | undefined {
    return this.#tables.get(runId)?.checkpoint;
  }

  readInbox(runId: string, after: number, limit: number): InboxRow[] {
    const inbox = this.#tables.get(runId)?.inbox;
    if (inbox === undefined) return [];
    return [...inbox.keys()]
      .filter((index) => index > after)
      .sort((a, b) => a - b)
      .slice(0, limit)
      .map((index) => ({ index, item: inbox.get(index)! }));
  }

  inboxMaxIndex(runId: string): number {
    let max = -1;
    for (const index of this.#tables.get(runId)?.inbox.keys() ?? []) max = Math.max(max, index);
    return max;
  }

  readTaskResults(runId: string): TaskResultRow[] {
    return [...(this.#tables.get(runId)?.results.values() ?? [])].sort((a, b) => (a.task < b.task ? -1 : 1));
  }

  readAddedTasks(runId: string): AddedTaskRow[] {
    return [...(this.#tables.get(runId)?.added.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  listDeadLetters(filter: DeadLetterFilter, after: number, limit: number): DeadLetterRow[] {
    const out: DeadLetterRow[] = [];
    for (const row of this.#deadLetters.values()) {
      if (row.id > after && matches(row, filter)) out.push(row);
      if (out.length === limit) break;
    }
    return out;
  }

  countDeadLetters(filter: DeadLetterFilter): number {
    let n = 0;
    for (const row of this.#deadLetters.values()) if (matches(row, filter)) n++;
    return n;
  }

  readDeadLetter(id: number): DeadLetterRow | undefined {
    return this.#deadLetters.get(id);
  }

  purgeDeadLetters(filter: DeadLetterFilter, ids: readonly number[] | undefined): number {
    let n = 0;
    const wanted = ids === undefined ? undefined : new Set(ids);
    for (const row of [...this.#deadLetters.values()]) {
      if ((wanted === undefined || wanted.has(row.id)) && matches(row, filter)) {
        this.#deadLetters.delete(row.id);
        n++;
      }
    }
    return n;
  }

  markReplayed(ids: readonly number[], at: number): number {
    let n = 0;
    for (const id of new Set(ids)) {
      const row = this.#deadLetters.get(id);
      if (row === undefined) continue;
      this.#deadLetters.set(id, { ...row, replayedAt: at });
      n++;
    }
    return n;
  }

  readCache(stage: string, key: string): CacheRow | undefined {
    return this.#cache.get(stage)?.get(key);
  }

  deleteCache(stage: string, key: string | undefined): number {
    const entries = this.#cache.get(stage);
    if (entries === undefined) return 0;
    if (key === undefined) {
      this.#cache.delete(stage);
      return entries.size;
    }
    return entries.delete(key) ? 1 : 0;
  }

  cacheSize(stage: string): number {
    return this.#cache.get(stage)?.size ?? 0;
  }

  close(): void {}

  #withProgress(run: StoredRun): RunRow {
    const tables = this.#tables.get(run.id);
    const done = run.kind === "workflow" ? (tables?.results.size ?? 0) : (tables?.checkpoint?.doneCount ?? 0);
    let deadLetters = 0;
    for (const row of this.#deadLetters.values()) if (row.runId === run.id) deadLetters++;
    const total =
      run.kind === "workflow" && run.total !== undefined ? run.total + (tables?.added.size ?? 0) : run.total;
    return { ...run, total, done, deadLetters };
  }

  #applyRunOp(op: RunOp): void {
    const run = this.#runs.get(op.runId)!;
    const tables = this.#tables.get(op.runId)!;
    switch (op.kind) {
      case "checkpoint":
        tables.checkpoint = {
          seq: (tables.checkpoint?.seq ?? 0) + 1,
          watermark: op.watermark,
          done: op.done,
          doneCount: op.doneCount,
          accumulators: op.accumulators,
          stageState: op.stageState,
          at: op.at,
        };
        if (op.total !== undefined) this.#runs.set(run.id, { ...run, total: op.total });
        return;
      case "inbox-add":
        tables.inbox.set(op.index, op.item);
        return;
      case "inbox-remove":
        tables.inbox.delete(op.index);
        return;
      case "task-result":
        tables.results.set(op.task, { task: op.task, result: op.result, attempts: op.attempts, completedAt: op.at });
        return;
      case "task-added":
        if (!tables.added.has(op.task)) {
          const seq = tables.added.size + 1;
          tables.added.set(op.task, { seq, task: op.task, parent: op.parent, spec: op.spec, addedAt: op.at });
        }
        return;
      case "dead-letter": {
        const id = this.#nextDeadLetterId++;
        this.#deadLetters.set(id, {
          id,
          runId: op.runId,
          runKind: op.runKind as DeadLetterRow["runKind"],
          runName: op.runName,
          key: op.key,
          stage: op.stage,
          index: op.index,
          item: op.item,
          errorCode: op.errorCode,
          error: op.error,
          attempts: op.attempts,
          firstFailedAt: op.firstFailedAt,
          lastFailedAt: op.lastFailedAt,
          replayedAt: undefined,
        });
        return;
      }
      case "run-end":
        this.#runs.set(run.id, {
          ...run,
          state: op.state,
          owner: undefined,
          endedAt: op.state === "running" ? undefined : op.at,
          error: op.error,
        });
        return;
      case "heartbeat":
        return;
      case "snapshot":
        this.#runs.set(run.id, { ...run, snapshot: op.snapshot });
        return;
      case "sql":
        // sqliteSink refuses a memory store before it queues anything: this is a bug if reached
        throw new TypeError("a SQL write reached the memory store (sqliteSink needs sqliteStore())");
        return;
    }
  }

  #setCache(op: CacheSetOp): void {
    let entries = this.#cache.get(op.stage);
    if (entries === undefined) this.#cache.set(op.stage, (entries = new Map()));
    entries.delete(op.key);
    entries.set(op.key, { value: op.value, storedAt: op.storedAt, expiresAt: op.expiresAt });
  }

  #evict(stage: string, maxEntries: number, now: number): void {
    const entries = this.#cache.get(stage);
    if (entries === undefined) return;
    for (const [key, row] of entries) if (row.expiresAt !== undefined && row.expiresAt <= now) entries.delete(key);
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(key);
    }
  }
}

function matches(row: DeadLetterRow, filter: DeadLetterFilter): boolean {
  return (
    (filter.runId === undefined || row.runId === filter.runId) &&
    (filter.runKind === undefined || row.runKind === filter.runKind) &&
    (filter.runName === undefined || row.runName === filter.runName) &&
    (filter.stage === undefined || row.stage === filter.stage) &&
    (filter.code === undefined || row.errorCode === filter.code) &&
    (filter.since === undefined || row.lastFailedAt >= filter.since) &&
    (filter.replayed === undefined || (row.replayedAt !== undefined) === filter.replayed)
  );
}
