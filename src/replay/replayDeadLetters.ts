import { engine } from "../load/engines.js";
import type { RunOptions } from "../run/RunOptions.js";
import type { Workflow } from "../workflow/Workflow.js";
import type { DeadLetterFilter, DeadLetterRecord } from "../store/DeadLetterRecord.js";
import type { Store } from "../store/Store.js";

/**
 * What {@link replayDeadLetters} replays and how.
 *
 * @example
 * ```ts
 * await replayDeadLetters(job, { store, stage: "enrich", code: "ECONNRESET" });
 * await replayDeadLetters(job, { store, ids: [17], edit: (item) => ({ ...item, email: item.email.trim() }) });
 * ```
 */
export interface ReplayOptions extends Omit<DeadLetterFilter, "runKind" | "runName" | "replayed"> {
  /** The store holding the dead letters (and where the replay's own dead letters go). */
  readonly store: Store;
  /** Replay exactly these dead letters. @default every dead letter of this pipeline or workflow matching the filter, not replayed yet */
  readonly ids?: readonly number[];
  /** Changes an item before it is replayed (pipelines; `weir dlq replay --edit file.json`). @default none */
  readonly edit?: (item: unknown, letter: DeadLetterRecord) => unknown;
  /** Options of the replay runs of a pipeline (concurrency, signal, events…). @default {} */
  readonly run?: RunOptions;
}

/** What a replay did. */
export interface ReplayReport {
  /** Dead letters replayed. */
  readonly replayed: number;
  /** Of those, items that went through this time. */
  readonly succeeded: number;
  /** Of those, items that failed again: each is a new dead letter, with the same key. */
  readonly failedAgain: number;
  /** The runs the replay made (pipelines: one per stage; workflows: the runs it resumed). */
  readonly runIds: readonly string[];
  /** New dead letters the store could not carry (kept only in the replay run's result). */
  readonly unstored: number;
}

/**
 * Replays stored dead letters of `target` (the pipeline or workflow that made them: its code is
 * what runs, so the definition must be given).
 *
 * - A pipeline's dead letter is run through the stage it failed in and every stage after it (the
 *   stages before it are not run again), grouped by stage: one replay run per stage, registered
 *   in the store as a pipeline run of the same name, whose dead letters keep the original keys.
 * - A workflow's dead letter (a task that failed for good in a durable run) is replayed by
 *   resuming its run (`wf.run({ store, resume })`): the failed tasks, and what they blocked, run
 *   again; what had completed does not.
 *
 * Every replayed dead letter is marked replayed (`replayedAt`), whatever the outcome; one that
 * fails again is a new row. A replay run that fails as a whole (a stage under `onError: "fail"`)
 * rejects, and nothing is marked.
 */
export async function replayDeadLetters(
  target: { readonly name: string } | Workflow<never>,
  options: ReplayOptions,
): Promise<ReplayReport> {
  return engine("pipeline").replay(target, options);
}
