import { SourceError } from "../../errors/SourceError.js";
import { itemKey, type ItemKeys } from "../../executor/ItemKeys.js";
import type { PipelineGraph } from "../../graph/PipelineGraph.js";
import { ArrayReader } from "../../source/ArrayReader.js";
import { describeSource } from "../../source/describeSource.js";
import { OffsetReader } from "../../source/OffsetReader.js";
import { openSource } from "../../source/openSource.js";
import type { SourceInput } from "../../source/SourceInput.js";
import type { SourceReader } from "../../source/SourceReader.js";
import type { InboxEntry, RunHandle } from "../../store/RunHandle.js";
import { RangeSet } from "../../store/RangeSet.js";
import type { Store } from "../../store/Store.js";
import { trackBatchCarriers, type BatchCarriers } from "../queue/BatchCarriers.js";
import type { DeadLetter } from "../RunEvents.js";
import { CheckpointStats } from "../../stats/CheckpointStats.js";
import { InboxReader } from "./InboxReader.js";
import { RunStates, registerStates, unregisterStates } from "./RunStates.js";
import { SkippingReader } from "./SkippingReader.js";
import { SourceProgress, type HeldView, type SourceMark } from "./SourceProgress.js";
import { pipelinePlan } from "./pipelinePlan.js";
import { registerRun, unregisterRun } from "./activeRuns.js";

/** How often the run looks whether its watermark moved (and asks the store for a checkpoint). */
const PROGRESS_EVERY_MS = 5;

/** What a durable run reads of itself: its low watermark, what it holds, where its sources are. */
export interface DurableScope extends HeldView {
  lowWatermark(): number;
  fail(error: unknown): void;
  /** Aborted: items may have been let go without being done (no fresh look at what is done). */
  readonly signal: AbortSignal;
  /** Items inside the pipeline now: when it drops with nothing pulled, items got done. */
  heldCount(): number;
}

/** Where a source stands among the pipeline's sources (see `SourceNumbering`). */
export interface SourcePlace {
  readonly sources: number;
  readonly index: number;
}

/** A multi-source checkpoint's per-source part (in `stageState.sources`, by source name). */
interface StoredMark {
  readonly watermark: number;
  readonly done: Uint8Array;
  /** An inbox source: the position it reads on from (see `InboxReader`). */
  readonly next?: number;
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
 * resuming it with a plan-hash check), opens each source where the last checkpoint left it, and
 * takes a checkpoint at every group commit the run progressed in.
 *
 * - **Replayable source** (an array, a function returning one, a seekable `(offset) => …`
 *   function): the checkpoint holds the source's low watermark (every position below it is done:
 *   sunk, filtered out, or dead-lettered) and the ranges of positions above it that are done too
 *   (finished out of order, see {@link SourceProgress}). A resume reads the source from the
 *   watermark and passes over the done positions; what was still in the pipeline when the process
 *   died runs again with its old keys.
 * - **Any other source** (an async iterable, a stream, an iterator): each chunk read is written to
 *   the store's inbox (one row per chunk) and removed once its watermark passes its end; a resume
 *   first replays the inbox (old indexes, old keys, done ones passed over), then goes on reading
 *   the source under new indexes.
 * - **Several sources**: each has its own watermark and done ranges (in the checkpoint's
 *   `stageState.sources`, by source name), and keys name the source (`<runId>/<source>/<position>`).
 *   A non-replayable one's inbox rows are indexed by the run-wide index of their first item.
 *
 * Items in a `batch()` accumulator are not done (they hold their positions), so a resume runs
 * them again from the source; their batch may then be grouped differently.
 */
export class DurablePipeline {
  readonly handle: RunHandle;
  /** How items are keyed (`ctx.key`). */
  readonly keys: ItemKeys;
  readonly #progress: SourceProgress;
  /** The inbox rows a resume found (run-wide indexes). */
  readonly #replay: readonly InboxEntry[];
  /** Per source, the position its inbox said it reads on from (0 when none). */
  readonly #next: readonly number[];
  readonly #sourceNames: readonly string[];
  /** What stages declared with `durableState()`, checkpointed with the run. */
  readonly #states: RunStates;
  /** The inbox readers of the non-replayable sources, by source index. */
  readonly #inboxes = new Map<number, InboxReader<unknown>>();
  #scope: DurableScope | undefined;
  #carriers: BatchCarriers | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastWatermark = -1;
  #lastPulled = -1;
  #lastHeld = -1;
  #unsubscribe: (() => void) | undefined;
  /** Dead letters the store could not take (not serializable): kept in the result only. */
  unstoredDeadLetters = 0;
  /** Commits, their durations, the committed watermark, stored dead letters (for metrics). */
  readonly stats: CheckpointStats;
  /** Checkpoints made at the start of a group commit so far. */
  #timed = 0;

  private constructor(
    handle: RunHandle,
    sourceNames: readonly string[],
    marks: readonly SourceMark[],
    replay: readonly InboxEntry[],
    next: readonly number[],
    states: Readonly<Record<string, unknown>> = {},
  ) {
    this.handle = handle;
    this.#states = new RunStates(states);
    this.#sourceNames = sourceNames;
    this.keys = { prefix: `${handle.id}/`, sources: sourceNames.length > 1 ? sourceNames : undefined };
    this.#progress = new SourceProgress(marks);
    this.#replay = replay;
    this.#next = next;
    this.stats = new CheckpointStats(marks.length === 1 ? marks[0]!.watermark : 0, Date.now());
  }

  /** Claims the run (new, or resumed) and reads what a resume needs. */
  static async open(graph: PipelineGraph, options: DurableRunOptions): Promise<DurablePipeline> {
    const plan = pipelinePlan(graph);
    const { store } = options;
    const names = graph.nodes.filter((n) => n.kind === "source").map((n) => n.name);
    const fresh = (): SourceMark[] => names.map(() => ({ watermark: 0, done: new RangeSet() }));
    if (options.resume === undefined) {
      const handle = await store.createRun({
        ...(options.runId === undefined ? {} : { id: options.runId }),
        kind: "pipeline",
        name: graph.name,
        plan,
      });
      return new DurablePipeline(handle, names, fresh(), [], []);
    }
    const handle = await store.resumeRun(options.resume, { kind: "pipeline", plan, force: options.force });
    try {
      const checkpoint = await handle.lastCheckpoint();
      const marks = fresh();
      const next = names.map(() => 0);
      if (checkpoint !== undefined && names.length === 1) {
        marks[0] = { watermark: checkpoint.watermark, done: checkpoint.done.clone() };
        const state = checkpoint.stageState["source"] as { next?: unknown } | undefined;
        if (typeof state?.next === "number") next[0] = state.next;
      } else if (checkpoint !== undefined) {
        const stored = (checkpoint.stageState["sources"] ?? {}) as Readonly<Record<string, StoredMark | undefined>>;
        names.forEach((name, k) => {
          const mark = stored[name];
          if (mark === undefined) return;
          marks[k] = { watermark: mark.watermark, done: RangeSet.decode(mark.done) };
          if (typeof mark.next === "number") next[k] = mark.next;
        });
      }
      const replay: InboxEntry[] = [];
      for (let page = await handle.inbox(); page.length > 0; page = await handle.inbox({ after: page.at(-1)!.index })) {
        replay.push(...page);
      }
      const states = (checkpoint?.stageState["state"] ?? {}) as Readonly<Record<string, unknown>>;
      return new DurablePipeline(handle, names, marks, replay, next, states);
    } catch (error) {
      await handle.finish("running").catch(() => {});
      throw error;
    }
  }

  /** The run's id. */
  get runId(): string {
    return this.handle.id;
  }

  /** The key of the item with run-wide source index `index`. */
  keyOf(index: number): string {
    return itemKey(this.keys, index);
  }

  /**
   * Opens a source where the run left it: a replayable one at its watermark, passing over the
   * positions done above it; any other through the inbox.
   */
  openSource(
    input: SourceInput<unknown>,
    pipeline: string,
    place: SourcePlace = { sources: 1, index: 0 },
  ): SourceReader<unknown> {
    const mark = this.#progress.marks[place.index]!;
    const start = mark.watermark;
    const reader = this.#openAt(input, pipeline, start, place);
    return mark.done.size === 0 || reader instanceof InboxReader
      ? reader
      : new SkippingReader(reader, mark.done.clone());
  }

  #openAt(input: SourceInput<unknown>, pipeline: string, start: number, place: SourcePlace): SourceReader<unknown> {
    let value: unknown = input;
    if (typeof input === "function") {
      try {
        value = input(input.length >= 1 ? start : 0);
      } catch (error) {
        throw new SourceError(pipeline, start, error, start, describeSource(input));
      }
      if (input.length >= 1)
        return new OffsetReader(
          openSource(() => value as never, pipeline),
          start,
        );
    }
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      return new ArrayReader(value as unknown as ArrayLike<unknown>, start);
    }
    // the inbox: rows are indexed by the run-wide index of their chunk's first item
    const { sources, index } = place;
    const rows =
      sources === 1
        ? this.#replay
        : this.#replay
            .filter((row) => row.index % sources === index)
            .map((row) => ({ index: (row.index - index) / sources, item: row.item }));
    const last = rows.at(-1);
    const lastEnd = last === undefined ? 0 : last.index + (Array.isArray(last.item) ? last.item.length : 1);
    const inbox = new InboxReader(
      openSource(() => value as never, pipeline),
      this.handle,
      rows,
      Math.max(this.#next[index] ?? 0, lastEnd, start),
      start,
      this.#progress.marks[index]!.done,
      sources === 1 ? undefined : (position) => position * sources + index,
    );
    this.#inboxes.set(index, inbox);
    return inbox;
  }

  /** Starts checkpointing the run: one checkpoint per group commit in which it progressed. */
  attach(scope: DurableScope): void {
    this.#scope = scope;
    this.#carriers = trackBatchCarriers(scope);
    registerRun(this.handle);
    registerStates(this.handle.id, this.#states);
    this.handle.checkpointWith(() => this.#timedCheckpoint());
    this.#unsubscribe = this.handle.onFailure((error) => scope.fail(error));
    this.#timer = setInterval(() => this.#tick(), PROGRESS_EVERY_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const scope = this.#scope!;
    const w = scope.lowWatermark();
    let pulled = 0;
    for (const p of scope.sourcePositions()) pulled += p;
    // items done above a watermark that does not move (one slow item) change what is held
    const held = scope.heldCount();
    if (w === this.#lastWatermark && pulled === this.#lastPulled && held === this.#lastHeld) return;
    if (this.handle.failure !== undefined) return;
    this.#lastWatermark = w;
    this.#lastPulled = pulled;
    this.#lastHeld = held;
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
  #timedCheckpoint(): { watermark: number; done?: RangeSet; stageState?: Record<string, unknown> } {
    const checkpoint = this.#checkpoint(false);
    const t0 = performance.now();
    this.#timed++;
    queueMicrotask(() => {
      if (this.handle.failure === undefined)
        this.stats.committed(checkpoint.watermark, performance.now() - t0, Date.now());
    });
    return checkpoint;
  }

  #checkpoint(final: boolean): { watermark: number; done?: RangeSet; stageState?: Record<string, unknown> } {
    const scope = this.#scope!;
    const progress = this.#progress;
    // an aborted run may have let items go that are not done: keep what the last look found
    if (!scope.signal.aborted) progress.advance(scope, this.#carriers);
    else if (final) progress.lift(scope.lowWatermark(), scope.sourcePositions());
    const marks = progress.marks;
    const state = this.#states.snapshot();
    const withState = state === undefined ? {} : { state };
    if (marks.length > 1) {
      const sources: Record<string, StoredMark> = {};
      marks.forEach((m, k) => {
        const inbox = this.#inboxes.get(k);
        inbox?.removeBelow(m.watermark);
        sources[this.#sourceNames[k]!] = {
          watermark: m.watermark,
          done: m.done.encode(),
          ...(inbox === undefined ? {} : { next: inbox.position }),
        };
      });
      // the run's own columns count the items done (progress), over every source
      let done = 0;
      for (const m of marks) done += m.watermark + m.done.size;
      return { watermark: done, stageState: { sources, ...withState } };
    }
    const { watermark, done } = marks[0]!;
    const inbox = this.#inboxes.get(0);
    if (inbox === undefined) return { watermark, done, stageState: withState };
    inbox.removeBelow(watermark);
    return { watermark, done, stageState: { source: { next: inbox.position }, ...withState } };
  }

  /** Stores a dead letter with the run, under `key` (a flatMap child's own) (kept in memory only when the store cannot take it). */
  deadLetter(letter: DeadLetter, at: number, key: string = this.keyOf(letter.index)): void {
    if (this.handle.failure !== undefined) return;
    try {
      this.handle.addDeadLetter({
        key,
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
    unregisterStates(this.handle.id, this.#states);
    if (this.handle.failure !== undefined) return;
    const last = this.#scope === undefined ? undefined : this.#checkpoint(true);
    if (last !== undefined) this.handle.checkpoint(last);
    const timed = this.#timed;
    const t0 = performance.now();
    await this.handle.finish(state, error);
    // counted once: unless a checkpoint asked for earlier took its place in the same commit
    if (last !== undefined && this.#timed === timed && this.handle.failure === undefined)
      this.stats.committed(last.watermark, performance.now() - t0, Date.now());
  }
}
