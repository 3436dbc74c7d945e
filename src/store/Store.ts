import type { CacheTier } from "./CacheTier.js";
import type { DeadLetters } from "./DeadLetters.js";
import type { RunHandle } from "./RunHandle.js";
import type { CreateRunOptions, ResumeRunOptions, RunFilter, RunRecord } from "./RunRecord.js";

/**
 * Durable state of runs: pipeline checkpoints and inboxes, workflow task results, dead letters,
 * the cache tier, and the run registry behind `weir runs` and `weir top`. Two implementations
 * behave the same (one conformance suite): `memoryStore()` (this process only) and
 * `sqliteStore()` from `weir/sqlite` (a file that survives the process).
 *
 * One writer per store: every write is queued and committed in groups, one transaction per
 * `commitWindowMs` or per `commitMaxOps` writes, whichever comes first; never one per item.
 *
 * @example
 * ```ts
 * import { sqliteStore } from "weir/sqlite";
 * await using store = sqliteStore();                      // .weir/weir.db, or $WEIR_DB
 * const run = await store.createRun({ kind: "workflow", name: "nightly", plan });
 * run.recordTaskResult("extract", rows, { attempts: 1 });
 * await run.finish("completed");
 * ```
 */
export interface Store extends AsyncDisposable {
  /** Where the store lives: a file path, or `":memory:"`. */
  readonly location: string;

  /** Registers a new run owned by this store; fails with `WEIR_RUN_EXISTS` when the id is taken. */
  createRun(options: CreateRunOptions): Promise<RunHandle>;
  /**
   * Claims an existing run to continue it: bumps its owner epoch (fencing any earlier handle).
   * Fails with `WEIR_RUN_NOT_FOUND`, `WEIR_RUN_OWNED` (a live owner holds it; `takeover: true` to
   * fence it) or `WEIR_PLAN_CHANGED` (the shape differs; `force: true` to accept).
   */
  resumeRun(id: string, options: ResumeRunOptions): Promise<RunHandle>;
  /** One run's row, or undefined. */
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Runs, newest first. */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Deletes a run that no live owner holds, with its checkpoint, inbox and task rows (its dead letters stay). */
  deleteRun(id: string): Promise<boolean>;

  /** The dead letters of every run. */
  readonly deadLetters: DeadLetters;
  /** The durable tier of cached stages. */
  readonly cache: CacheTier;

  /** Commits everything queued, now. */
  commit(): Promise<void>;
  /** Commits what is queued, releases this store's runs (resumable), closes. Idempotent. */
  close(): Promise<void>;
}
