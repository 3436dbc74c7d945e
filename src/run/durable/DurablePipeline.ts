import { SourceError } from "../../errors/SourceError.js";
import type { PipelineGraph } from "../../graph/PipelineGraph.js";
import { ArrayReader } from "../../source/ArrayReader.js";
import { describeSource } from "../../source/describeSource.js";
import { OffsetReader } from "../../source/OffsetReader.js";
import { openSource } from "../../source/openSource.js";
import type { SourceInput } from "../../source/SourceInput.js";
import type { SourceReader } from "../../source/SourceReader.js";
import type { InboxEntry, RunHandle } from "../../store/RunHandle.js";
import type { Store } from "../../store/Store.js";
import type { DeadLetter } from "../RunEvents.js";
import { CheckpointStats } from "../../stats/CheckpointStats.js";
import { InboxReader } from "./InboxReader.js";
import { pipelinePlan } from "./pipelinePlan.js";
import { registerRun, unregisterRun } from "./activeRuns.js";

/** How often the run looks whether its watermark moved (and asks the store for a checkpoint). */
const PROGRESS_EVERY_MS = 5;

/** What a durable run reads of itself: its low watermark and where its source is. */
export interface DurableScope {
  lowWatermark(): number;
  fail(error: unknown): void;
}

/** The durable options of `run()`, checked. */
export interface DurableRunOptions {
  readonly store: Store;
  readonly runId: string | undefined;
  readonly resume: string | undefined;
  readonly force: boolean;
}

/**
 * A pipeline run's durable side (`run({ store })`): claims the run in the store (creating it, or
 * resuming it with a plan-hash check), opens the source where the last checkpoint left it, and
 * takes a checkpoint at every group commit the run progressed in.
 *
 * - **Replayable source** (an array, a function returning one, a seekable `(offset) => …`
 *   function): the checkpoint holds the run's low watermark (every source index below it is
 *   done: sunk, filtered out, or dead-lettered). A resume reads the source from the watermark;
 *   what was past it when the process died runs again with its old keys.
 * - **Any other source** (an async iterable, a stream, an iterator): each chunk read is written to
 *   the store's inbox (one row per chunk) and removed once the watermark passes its end; a resume
 *   first replays the inbox (old indexes, old keys), then goes on reading the source under new
 *   indexes.
 *
 * Items in a `batch()` accumulator are not done (the watermark stays below them), so a resume
 * runs them again from the source; their batch may then be grouped differently.
 */
export class DurablePipeline {
  readonly handle: RunHandle;
  /** Every source index below this was done at the last checkpoint. */
  readonly watermark: number;
  readonly #replay: readonly InboxEntry[];
  readonly #next: number;
  #inbox: InboxReader<unknown> | undefined;
  #scope: DurableScope | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastWatermark = -1;
  #unsubscribe: (() => void) | undefined;
  /** Dead letters the store could not take (not serializable): kept in the result only. */
  unstoredDeadLetters = 0;
  /** Commits, their durations, the committed watermark, stored dead letters (for metrics). */
  readonly stats: CheckpointStats;
  /** Checkpoints made at the start of a group commit so far. */
  #timed = 0;

  private constructor(handle: RunHandle, watermark: number, replay: readonly InboxEntry[], next: number) {
    this.handle = handle;
    this.watermark = watermark;
    this.#replay = replay;
    this.#next = next;
    this.stats = new CheckpointStats(watermark, Date.now());
  }

  /** Claims the run (new, or resumed) and reads what a resume needs. */
  static async open(graph: PipelineGraph, options: DurableRunOptions): Promise<DurablePipeline> {
    const plan = pipelinePlan(graph);
    const { store } = options;
    if (options.resume === undefined) {
      const handle = await store.createRun({
        ...(options.runId === undefined ? {} : { id: options.runId }),
        kind: "pipeline",
        name: graph.name,
        plan,
      });
      return new DurablePipeline(handle, 0, [], 0);
    }
    const handle = await store.resumeRun(options.resume, { kind: "pipeline", plan, force: options.force });
    try {
      const checkpoint = await handle.lastCheckpoint();
      const replay: InboxEntry[] = [];
      for (let page = await handle.inbox(); page.length > 0; page = await handle.inbox({ after: page.at(-1)!.index })) {
        replay.push(...page);
      }
      const state = checkpoint?.stageState["source"] as { next?: unknown } | undefined;
      const stored = typeof state?.next === "number" ? state.next : 0;
      const last = replay.at(-1);
      const lastEnd = last === undefined ? 0 : last.index + (Array.isArray(last.item) ? last.item.length : 1);
      const next = Math.max(stored, lastEnd, checkpoint?.watermark ?? 0);
      return new DurablePipeline(handle, checkpoint?.watermark ?? 0, replay, next);
    } catch (error) {
      await handle.finish("running").catch(() => {});
      throw error;
    }
  }

  /** The run's id. */
  get runId(): string {
    return this.handle.id;
  }

  /** The prefix of every item key: `<runId>/`. */
  get keyPrefix(): string {
    return `${this.handle.id}/`;
  }

  /**
   * Opens the source where the run left it: a replayable one at the watermark, any other through
   * the inbox.
   */
  openSource(input: SourceInput<unknown>, pipeline: string): SourceReader<unknown> {
    let value: unknown = input;
    if (typeof input === "function") {
      try {
        value = input(input.length >= 1 ? this.watermark : 0);
      } catch (error) {
        throw new SourceError(pipeline, this.watermark, error, this.watermark, describeSource(input));
      }
      if (input.length >= 1)
        return new OffsetReader(
          openSource(() => value as never, pipeline),
          this.watermark,
        );
    }
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      return new ArrayReader(value as unknown as ArrayLike<unknown>, this.watermark);
    }
    this.#inbox = new InboxReader(
      openSource(() => value as never, pipeline),
      this.handle,
      this.#replay,
      this.#next,
      this.watermark,
    );
    return this.#inbox;
  }

  /** Starts checkpointing the run: one checkpoint per group commit in which its watermark moved. */
  attach(scope: DurableScope): void {
    this.#scope = scope;
    registerRun(this.handle);
    this.handle.checkpointWith(() => this.#timedCheckpoint());
    this.#unsubscribe = this.handle.onFailure((error) => scope.fail(error));
    this.#timer = setInterval(() => this.#tick(), PROGRESS_EVERY_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const w = this.#scope!.lowWatermark();
    if (w === this.#lastWatermark || this.handle.failure !== undefined) return;
    this.#lastWatermark = w;
    try {
      this.handle.progressed();
    } catch (error) {
      this.#scope!.fail(error);
    }
  }

  /**
   * The checkpoint a group commit asks for at its start: the commit then runs synchronously, so
   * the first microtask after it sees it done (its duration, for metrics).
   */
  #timedCheckpoint(): { watermark: number; stageState?: Record<string, unknown> } {
    const checkpoint = this.#checkpoint();
    const t0 = performance.now();
    this.#timed++;
    queueMicrotask(() => {
      if (this.handle.failure === undefined)
        this.stats.committed(checkpoint.watermark, performance.now() - t0, Date.now());
    });
    return checkpoint;
  }

  #checkpoint(): { watermark: number; stageState?: Record<string, unknown> } {
    const watermark = this.#scope!.lowWatermark();
    const inbox = this.#inbox;
    if (inbox === undefined) return { watermark };
    inbox.removeBelow(watermark);
    return { watermark, stageState: { source: { next: inbox.position } } };
  }

  /** Stores a dead letter with the run (kept in memory only when the store cannot take it). */
  deadLetter(letter: DeadLetter, at: number): void {
    if (this.handle.failure !== undefined) return;
    try {
      this.handle.addDeadLetter({
        key: this.keyPrefix + letter.index,
        stage: letter.stage,
        index: letter.index,
        item: letter.item,
        error: letter.error,
        attempts: letter.attempts,
        firstFailedAt: at,
      });
      this.stats.deadLettered(letter.stage);
    } catch {
      this.unstoredDeadLetters++;
    }
  }

  /**
   * The run ended: a last checkpoint, then the run's state in the store (`"running"` for a stopped
   * or cancelled run, so that it can be resumed).
   */
  async end(state: "completed" | "failed" | "running", error?: unknown): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unsubscribe?.();
    unregisterRun(this.handle);
    if (this.handle.failure !== undefined) return;
    const last = this.#scope === undefined ? undefined : this.#checkpoint();
    if (last !== undefined) this.handle.checkpoint(last);
    const timed = this.#timed;
    const t0 = performance.now();
    await this.handle.finish(state, error);
    // counted once: unless a checkpoint asked for earlier took its place in the same commit
    if (last !== undefined && this.#timed === timed && this.handle.failure === undefined)
      this.stats.committed(last.watermark, performance.now() - t0, Date.now());
  }
}
