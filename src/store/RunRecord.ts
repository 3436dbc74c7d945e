import type { PlanShape } from "./PlanShape.js";
import type { StoredError } from "./StoredError.js";

/** What a run runs. */
export type RunKind = "pipeline" | "workflow";

/**
 * Where a run stands. `"running"` with {@link RunRecord.live} false is an interrupted run (its
 * owner was killed or released it): `resumeRun` picks it up.
 */
export type StoredRunState = "running" | "completed" | "failed" | "cancelled";

/** The process holding a run. */
export interface RunOwner {
  /** Random per store instance: tells two stores of one process apart. */
  readonly id: string;
  readonly pid: number;
  readonly host: string;
}

/** How far a run got: pipelines count source items fully done, workflows completed tasks. */
export interface RunProgress {
  readonly done: number;
  /** Known total (an array source's length, a workflow's task count), when known. */
  readonly total: number | undefined;
  /** Dead letters recorded for the run. */
  readonly deadLetters: number;
}

/** A run's row, as `weir runs` and `weir top` show it. */
export interface RunRecord {
  readonly id: string;
  readonly kind: RunKind;
  /** The pipeline's or workflow's name. */
  readonly name: string;
  /** Digest of {@link RunRecord.plan}, compared on resume. */
  readonly planHash: string;
  readonly plan: PlanShape;
  /** A workflow's inputs (or anything the runner stored with the run); undefined when none. */
  readonly inputs: unknown;
  readonly state: StoredRunState;
  /** The current owner; undefined once the run ended or its owner released it. */
  readonly owner: RunOwner | undefined;
  /** Bumped by every claim; a handle holding a lower epoch is fenced off. */
  readonly epoch: number;
  /** Wall-clock ms of the owner's last heartbeat. */
  readonly heartbeatAt: number | undefined;
  /** True when the run is `"running"` and its owner is alive (same host: its pid exists; any host: heartbeat within the lease). */
  readonly live: boolean;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly endedAt: number | undefined;
  readonly progress: RunProgress;
  /** Why it failed, for `"failed"` runs that were given an error. */
  readonly error: StoredError | undefined;
  /** What the owner last published with `publishSnapshot` (live stats for `weir top`), or undefined. */
  readonly snapshot: unknown;
}

/** Which runs `listRuns` returns, newest first. */
export interface RunFilter {
  readonly kind?: RunKind;
  readonly name?: string;
  readonly state?: StoredRunState;
  /** Only runs whose owner is alive (`true`) or not (`false`). */
  readonly live?: boolean;
  /** At most this many. @default 100 */
  readonly limit?: number;
}

/**
 * What `createRun` needs.
 *
 * @example
 * ```ts
 * const run = await store.createRun({ kind: "pipeline", name: "orders", plan: [{ name: "enrich", fingerprint: "f1" }] });
 * ```
 */
export interface CreateRunOptions {
  /** The run's id. @default a random UUID */
  readonly id?: string;
  readonly kind: RunKind;
  readonly name: string;
  readonly plan: PlanShape;
  /** Stored with the run (msgpack): a workflow's inputs. @default undefined */
  readonly inputs?: unknown;
  /** Known total for progress (items, tasks). @default undefined */
  readonly total?: number;
}

/** What `resumeRun` checks the stored run against. */
export interface ResumeRunOptions {
  readonly kind: RunKind;
  /** The shape the caller is about to run; compared with the stored one. */
  readonly plan: PlanShape;
  /** Resume even if the shape changed (the stored shape is replaced). @default false */
  readonly force?: boolean;
  /** Claim the run even while a live owner holds it; that owner's later writes are fenced off. @default false */
  readonly takeover?: boolean;
}
