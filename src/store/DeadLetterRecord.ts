import type { RunKind } from "./RunRecord.js";
import type { StoredError } from "./StoredError.js";

/**
 * A dead letter as a run hands it to the store.
 *
 * @example
 * ```ts
 * run.addDeadLetter({ key: ctx.key, stage: "enrich", index: 42, item, error, attempts: 5, firstFailedAt, lastFailedAt: Date.now() });
 * ```
 */
export interface NewDeadLetter {
  /** The item's stable key (the same on every replay). */
  readonly key: string;
  /** The stage (pipelines) or task (workflows) that gave up on it. */
  readonly stage: string;
  /** The item's source index, when it has one. @default undefined */
  readonly index?: number;
  /** The item as the stage received it (msgpack). */
  readonly item: unknown;
  /** The last error; stored with its class, code, message, stack and cause chain. */
  readonly error: unknown;
  readonly attempts: number;
  /** Wall-clock ms of the first failed attempt. */
  readonly firstFailedAt: number;
  /** Wall-clock ms of the last failed attempt. @default the store's clock at the call */
  readonly lastFailedAt?: number;
}

/** A stored dead letter. */
export interface DeadLetterRecord {
  /** Assigned by the store, ascending in insertion order. */
  readonly id: number;
  readonly runId: string;
  readonly runKind: RunKind;
  /** The pipeline's or workflow's name. */
  readonly runName: string;
  readonly key: string;
  readonly stage: string;
  readonly index: number | undefined;
  readonly item: unknown;
  readonly error: StoredError;
  readonly attempts: number;
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
  /** Wall-clock ms when it was marked replayed; undefined until then. */
  readonly replayedAt: number | undefined;
}

/** Which dead letters a query selects; every given field must match. */
export interface DeadLetterFilter {
  readonly runId?: string;
  readonly runKind?: RunKind;
  /** The pipeline's or workflow's name. */
  readonly runName?: string;
  readonly stage?: string;
  /** The error's code (`error.code`). */
  readonly code?: string;
  /** Only those whose last failure is at or after this wall-clock ms. */
  readonly since?: number;
  /** Only replayed (`true`) or not yet replayed (`false`) ones. */
  readonly replayed?: boolean;
}

/** A page of `list()`: ascending ids, and the cursor of the next page. */
export interface DeadLetterPage {
  readonly records: readonly DeadLetterRecord[];
  /** Pass as `after` for the next page; undefined on the last page. */
  readonly next: number | undefined;
}

/** Paging of `list()`. */
export interface DeadLetterPaging {
  /** Records with an id above this. @default 0 */
  readonly after?: number;
  /** At most this many. @default 100 */
  readonly limit?: number;
}
