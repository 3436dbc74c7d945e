import type { Channel } from "../../channel/Channel.js";
import type { ChildKeys } from "../../executor/ChildKeys.js";
import { TimeoutError } from "../../errors/TimeoutError.js";
import type {
  BatchSettle,
  Executor,
  FailedStep,
  Group,
  GroupFailure,
  GroupOwner,
  Settle,
} from "../../executor/Executor.js";
import { cancelledOutcome, type Admission } from "../../policy/Admission.js";
import { retryAfterMs } from "../../policy/retryAfterMs.js";
import { AdmissionGate } from "./AdmissionGate.js";
import { backoffDelay, shouldRetry, type RetryPolicy } from "../../policy/retry.js";
import type { ErrorPolicy } from "../../stage/StageKind.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { Emitter } from "../emit/Emitter.js";
import { itemFailed } from "./itemFailed.js";
import type { RunScope } from "../RunScope.js";
import type { Step } from "../Step.js";
import { microtask } from "../../time/microtask.js";
import { SPILL_AT } from "../fused/compileTail.js";
import { Expansion, expansionOf } from "./Expansion.js";
import { failedAt } from "./failedAt.js";
import { Outbox } from "./Outbox.js";
import { DROPPED, EMPTY, EXPAND, MANY, READY, ReorderRing, type RingState } from "./ReorderRing.js";
import { BoundSlot, GroupSlot, PoolSlot, type SlotOwner, type StageSlot } from "./StageSlot.js";
import { onAbort } from "../onAbort.js";

/** The settings a stage runner needs, every field present. */
export interface StageStepOptions {
  readonly kind: "map" | "filter" | "flatMap" | "tap" | "sink";
  readonly concurrency: number;
  readonly ordered: boolean;
  /** A slow item holds back at most this many later items (ordered stages). */
  readonly reorderCapacity: number;
  /**
   * The range the input channel's capacity moves in, as the executor's
   * {@link Executor.inputCapacity} says (a pool stage's default channel: the plan's
   * `elasticCapacity`); undefined: the channel keeps its capacity.
   */
  readonly elasticInput?: { readonly base: number; readonly max: number } | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly onError: ErrorPolicy;
  /** Flow-control policies in front of every attempt (composed), if any. */
  readonly admission: Admission | undefined;
  /** How long an item may wait for admission before its error policy applies. */
  readonly maxWaitMs: number;
  /**
   * The run is on the real clock: settles in one burst (a pool's batch) may share one clock
   * read, taken once per microtask turn. Off on an injected clock, where every read counts.
   */
  readonly shareSettleTime: boolean;
  /**
   * A keyed run's flatMap (or pool chain holding one): the stage's outputs are children, each
   * under an id of its own (its key: the item's and its position). Undefined otherwise.
   */
  readonly children?: ChildKeys | undefined;
}

const ignore = (): void => {};

/** In {@link StageStep.#settleMany}: an item that sends nothing on (a sink's, a dropped filter item). */
const DROP: unique symbol = Symbol("weir.drop");

/** What a free group slot holds: nothing. */
const NO_ITEMS: unknown[] = [];

/**
 * Runs a stage whose function is asynchronous, concurrent, retried, timed or remote: keeps up to
 * `executor.window(concurrency)` items in flight, restores input order through a bounded reorder
 * ring when `ordered`, retries with backoff on the run's clock, and applies the error policy.
 * Completed items are emitted in chunks, once per microtask turn, not one by one.
 *
 * A flatMap's Iterable or AsyncIterable result is pulled lazily (an {@link Expansion}): only while
 * the outbox holds fewer than {@link SPILL_AT} items and is not waiting for room below, and, when
 * ordered, only once every earlier item went out (expansions then drain one after another). It
 * counts in flight until exhausted, so at most the window of them are open.
 */
export class StageStep implements Step, SlotOwner, BatchSettle, GroupOwner {
  readonly #input: Channel<unknown>;
  readonly #executor: Executor;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters;
  readonly #options: StageStepOptions;
  /** Items kept in flight; re-read on each pump, as a pool's window grows with its batch size. */
  #window: number;
  /**
   * Free slots: a stack in `#free[0..#freeCount)`. Its length never shrinks (an array popped
   * empty and pushed full again on every burst has its storage trimmed and grown again each time).
   */
  readonly #free: StageSlot[] = [];
  #freeCount = 0;
  readonly #gate: AdmissionGate<StageSlot> | undefined;
  /** Every slot that may hold an item, for {@link StageStep.minIndex}. */
  readonly #slots = new Set<StageSlot>();
  /** flatMap results not yet exhausted (waiting for their turn, or being pulled). */
  readonly #expansions = new Set<Expansion>();
  /** Expansions waiting for the outbox to empty before they are pulled further. */
  readonly #stalled = new Set<Expansion>();
  #drainingRing = false;
  #redrain = false;
  /** Smallest source index of an item that failed the run (`onError: "fail"`): never done. */
  #failedIndex = Infinity;
  readonly #timed = new Set<StageSlot>();
  #inFlight = 0;
  // ordered output: a ring indexed by the item's arrival number
  /** Arrival number of the next item taken from the input. */
  #nextArrival = 0;
  /** Arrival number of the next item to go out (ordered stages). */
  #emitArrival = 0;
  readonly #reorderRing: ReorderRing;
  readonly #reorderLimit: number;
  /**
   * Nothing reads this stage's output (no stage or fused step below, no route, no `stream()`): a
   * completed item is done where it settles, with nothing put in the outbox and, but for a
   * flatMap, no reorder ring (an order nobody reads). An ordered flatMap keeps its ring, for
   * the turns of its lazily pulled expansions (their items still go through the outbox, which
   * paces the pulls as before); its array results go no further.
   */
  readonly #discards: boolean;
  /** Completed items are handed on in arrival order (see {@link StageStep.#discards}). */
  readonly #ordered: boolean;
  /** Most items held at the gate by their key alone (outside the window): the stage's capacity. */
  readonly #keyedLimit: number;
  /** Completed items waiting to be emitted. */
  readonly #outbox: Outbox;
  #pumping = false;
  #repump = false;
  /**
   * True when no gate admits items one by one and the runner arms no timer per item: first
   * attempts start a run at a time, handed to a pool's executor in one call
   * ({@link StageStep.#submitRun}, {@link Executor.executeBatch}) or to any other one item after
   * item ({@link StageStep.#startRun}).
   */
  readonly #startsRuns: boolean;
  /**
   * The executor is a pool's (it resolves batches through {@link StageStep.resolveBatch}): its
   * slots are {@link PoolSlot}s.
   */
  readonly #poolSlots: boolean;
  /** The slots one pump takes from the input, handed to the executor in one call (reused). */
  readonly #submit: StageSlot[] = [];
  /**
   * First attempts go to the executor in groups ({@link StageStep.#submitGrouped}) while it takes
   * them: a pool stage whose items need nothing of their own on the way (no gate, no timer armed
   * here, on the real clock; a chain that emits many runs as a flatMap, its results arrays, but
   * not in a keyed run, whose outputs are children with keys of their own). A group goes to a
   * worker whole (with the others queued beside it, up to the batch size): the runner's work is
   * per group, not per item, but for handing each result on; an item that fails leaves its group
   * for a slot of its own (its retry, or its error policy).
   */
  readonly #grouped: boolean;
  /** Free group slots (a stack), and every group slot made, for {@link StageStep.minIndex}. */
  readonly #freeGroups: GroupSlot[] = [];
  readonly #groupSlots = new Set<GroupSlot>();
  /** The groups one pump makes, handed to the executor in one call (reused). */
  readonly #groupRun: GroupSlot[] = [];
  #waitingInput = false;
  #ended = false;
  #finish: (() => void) | undefined;
  /** A refill is queued for the end of this burst of settles (one microtask for the burst). */
  #pumpSoon = false;
  /** The clock read shared by this burst's settles (-1: none yet); the refill forgets it. */
  #settleTime = -1;
  /**
   * Slots whose attempt resolved in this burst and were not handled yet (`#settled[k]` resolved
   * with `#settledValues[k]`, for k below `#settledCount`): handled together at the burst's end,
   * at one clock read, before the refill. Only while settle times are shared and the window is
   * wider than one (see {@link StageStep.resolved}).
   */
  readonly #settled: StageSlot[] = [];
  readonly #settledValues: unknown[] = [];
  #settledCount = 0;
  readonly #pumpLater = (): void => {
    // (still marked as due while the burst is handled: its settles need no refill of their own)
    if (this.#settledCount > 0) this.#handleSettled();
    this.#pumpSoon = false;
    this.#settleTime = -1;
    this.#pump();
  };
  readonly #pumpWhenReadable = (): void => {
    this.#waitingInput = false;
    this.#pump();
  };

  constructor(
    input: Channel<unknown>,
    executor: Executor,
    emitter: Emitter,
    counters: StageCounters,
    scope: RunScope,
    options: StageStepOptions,
  ) {
    this.#input = input;
    this.#executor = executor;
    this.#emitter = emitter;
    this.#counters = counters;
    this.#scope = scope;
    this.#options = options;
    this.#window = Math.max(1, executor.window(options.concurrency));
    const maxWindow = Math.max(this.#window, executor.maxWindow?.(options.concurrency) ?? 0);
    this.#discards = emitter.discards;
    this.#ordered = options.ordered && !(this.#discards && options.kind !== "flatMap");
    this.#reorderLimit = this.#ordered ? Math.max(maxWindow, options.reorderCapacity) : Infinity;
    this.#keyedLimit = Math.max(maxWindow, options.reorderCapacity);
    this.#reorderRing = new ReorderRing(this.#ordered ? this.#reorderLimit : 0);
    this.#outbox = new Outbox(
      emitter,
      scope,
      () => this.#ended,
      () => this.#pump(),
      options.children,
    );
    this.#gate =
      options.admission === undefined
        ? undefined
        : new AdmissionGate<StageSlot>(
            options.admission,
            scope.clock,
            options.maxWaitMs,
            () => this.#pump(),
            (slot, waitMs, now) => {
              if (scope.events.has("stage:wait")) {
                scope.events.emit("stage:wait", {
                  stage: counters.name,
                  index: Math.floor(slot.index), // a keyed run's flatMap child: its id's source index
                  waitMs,
                  refusal: this.#gate?.refusal(slot.item, now),
                });
              }
            },
          );
    this.#poolSlots = executor.executeBatch !== undefined;
    this.#startsRuns = this.#gate === undefined && (options.timeoutMs === undefined || executor.ownsTimeouts === true);
    this.#grouped =
      this.#startsRuns &&
      this.#poolSlots &&
      options.shareSettleTime &&
      executor.executeGroups !== undefined &&
      // a pool chain that may emit 0..n outputs an item runs as a flatMap, its results arrays
      (options.kind === "flatMap") === (executor.emitsMany === true) &&
      options.children === undefined;
    if (this.#gate !== undefined) {
      const gate = this.#gate;
      counters.waiting = () => gate.waiting;
      counters.waits = () => gate.waits;
      counters.penalties = () => gate.penalties;
    }
  }

  /**
   * Items that count against the window: those in flight (running, in backoff, or held at the gate
   * for every key; not those held for their key alone) and the completed ones not yet handed on
   * (the outbox). So a stage holds at most its window of items, running or waiting for room below,
   * and the source is never pulled further ahead than the channels' capacities plus the stages'
   * windows (and reorder windows).
   */
  #occupied(): number {
    return this.#inFlight - (this.#gate?.keyedWaiting ?? 0) + this.#outbox.length;
  }

  #room = (): boolean => !this.#outbox.flushing && !this.#scope.aborted;
  #slotFree = (): boolean => this.#occupied() < this.#window;
  #startWaiting = (slot: StageSlot): void => {
    slot.admitted = true;
    slot.waitingSince = -1;
    this.#start(slot, this.#scope.clock.now());
  };
  #expire = (slot: StageSlot, refusal: unknown): void => {
    const now = this.#scope.clock.now();
    const error =
      refusal ??
      new TimeoutError(
        `stage "${this.#counters.name}" item ${Math.floor(slot.index)} waiting for admission`,
        this.#options.maxWaitMs,
      );
    this.#counters.failed(error);
    this.#counters.finished(now);
    this.#finalFailure(slot.item, slot.index, slot.arrival, error, slot.attempt);
    this.#release(slot);
  };

  run(): Promise<void> {
    const signal = this.#scope.signal;
    return new Promise<void>((resolve) => {
      let unsubscribe = (): void => {};
      const aborted = (): void => {
        for (const slot of this.#timed) {
          slot.timer?.cancel();
          slot.controller?.abort(signal.reason);
        }
        this.#timed.clear();
        this.#end();
      };
      this.#finish = () => {
        unsubscribe();
        resolve();
      };
      if (signal.aborted) {
        this.#end();
        return;
      }
      unsubscribe = onAbort(signal, aborted);
      this.#pump();
    });
  }

  /**
   * Starts what the window, the gate and the input allow. `now`: a clock read the caller took in
   * this same synchronous turn, for the items started here (-1: read it if an item starts).
   */
  #pump(now = -1): void {
    if (this.#ended) return;
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#pumping = true;
    const input = this.#input;
    this.#window = Math.max(1, this.#executor.window(this.#options.concurrency));
    const elastic = this.#options.elasticInput;
    if (elastic !== undefined) {
      const wanted = this.#executor.inputCapacity?.(this.#options.concurrency, elastic.base) ?? elastic.base;
      input.resize(Math.max(elastic.base, Math.min(elastic.max, wanted)));
    }
    // read the clock once per pump, and only if an item starts
    const gate = this.#gate;
    const runs = this.#startsRuns;
    const pool = this.#poolSlots;
    do {
      this.#repump = false;
      // An abort ends this step in its listener (#ended); one that fired before that listener ran
      // (this pump called from an earlier one) is seen here. Cheaper than the signal per item.
      if (this.#scope.aborted) break;
      // waiters first (at the same `now` as new items, so a key stays first-in first-out)
      if (gate !== undefined && gate.waiting > 0)
        gate.drain((now = this.#scope.clock.now()), this.#room, this.#startWaiting, this.#expire, this.#slotFree);
      if (runs) now = !pool ? this.#startRun(now) : this.#grouped ? this.#submitGrouped(now) : this.#submitRun(now);
      else
        while (
          gate?.blocked !== true &&
          this.#occupied() < this.#window &&
          (gate === undefined || gate.keyedWaiting < this.#keyedLimit) &&
          input.size > 0 &&
          !this.#outbox.flushing &&
          this.#nextArrival - this.#emitArrival < this.#reorderLimit &&
          !this.#ended
        ) {
          if (now < 0) now = this.#scope.clock.now();
          const slot = this.#firstAttempt(now);
          this.#inFlight++;
          this.#counters.in++;
          this.#counters.started(now);
          if (gate !== undefined) {
            slot.waitingSince = -1;
            if (!gate.admit(slot, now, false, input.shiftedAt)) continue;
            slot.admitted = true;
          }
          this.#start(slot, now);
        }
    } while (this.#repump);
    this.#pumping = false;
    if (this.#ended) return;
    if (this.#stalled.size > 0 && this.#outboxOpen()) {
      // each pulls until the outbox fills again (then it stalls anew, to be resumed on the next pump)
      const stalled = [...this.#stalled];
      this.#stalled.clear();
      for (const e of stalled) this.#pull(e);
      if (this.#ended) return;
    }
    if (input.size === 0 && !input.closed) {
      if (!this.#waitingInput) {
        this.#waitingInput = true;
        input.onReadable(this.#pumpWhenReadable);
      }
    } else if (
      input.closed &&
      input.size === 0 &&
      this.#inFlight === 0 &&
      this.#outbox.length === 0 &&
      !this.#outbox.flushing
    ) {
      this.#end();
    }
  }

  /**
   * The batch-submit pass of {@link StageStep.#pump} (no gate, no timer per item): takes what the
   * window, the reorder limit and the input allow, as the per-item loop would, and hands the run
   * of first attempts to the executor in one call, in arrival order. Returns the clock read (`now`,
   * or the one taken here if items started).
   */
  #submitRun(now: number): number {
    const n = this.#roomForRun();
    if (n <= 0) return now;
    if (now < 0) now = this.#scope.clock.now();
    const submit = this.#submit;
    for (let k = 0; k < n; k++) submit[k] = this.#firstAttempt(now);
    this.#inFlight += n;
    const c = this.#counters;
    c.in += n;
    c.startedMany(n, now);
    this.#executor.executeBatch!(submit, n);
    return now;
  }

  /**
   * {@link StageStep.#submitRun} in groups: what the window, the reorder limit and the input allow
   * is taken in groups of the executor's group size (the last one smaller), each a run of items
   * in arrival order, handed over in one call. Falls back to single slots while the executor
   * takes no groups (a pool whose code is still loading). Returns the clock read.
   */
  #submitGrouped(now: number): number {
    const size = this.#executor.groupSize!();
    if (size <= 0) return this.#submitRun(now);
    const input = this.#input;
    let n = this.#roomForRun();
    // held back by the window (or the reorder limit), not the input: whole groups only, so that a batch cut short (a
    // pump that found less) does not cut the next ones short the same way, pump after pump, for
    // good; the rest waits for the room the next results free
    if (n < input.size) n -= n % size;
    if (n <= 0) return now;
    if (now < 0) now = this.#scope.clock.now();
    const c = this.#counters;
    this.#inFlight += n;
    c.in += n;
    c.startedMany(n, now);
    const groups = this.#groupRun;
    let count = 0;
    while (n > 0) {
      const m = Math.min(size, n);
      n -= m;
      const items = new Array<unknown>(m);
      const index0 = input.shiftRun(items, m);
      const g = this.#freeGroups.pop() ?? this.#newGroup();
      g.items = items;
      g.size = m;
      g.index = index0;
      g.indices = input.runSeqs;
      g.arrival = this.#nextArrival;
      this.#nextArrival += m;
      g.startedAt = now;
      g.busy = true;
      groups[count++] = g;
    }
    this.#executor.executeGroups!(groups, count);
    return now;
  }

  #newGroup(): GroupSlot {
    const g = new GroupSlot(this, this.#scope.signal);
    this.#groupSlots.add(g);
    return g;
  }

  /**
   * A group ran ({@link GroupOwner}): each result goes on as {@link StageStep.#settleMany} hands
   * on a batch's, at one clock read, in arrival order; each failed item leaves the group for a
   * slot of its own and takes the per-item path ({@link StageStep.rejected}: its retry, or its
   * error policy), keeping its place in the order. The group's slot is free again after.
   */
  resolveGroup(
    group: Group,
    values: readonly unknown[],
    offset: number,
    failures: readonly GroupFailure[] | undefined,
  ): void {
    const g = group as GroupSlot;
    if (this.#ended || !g.busy) return;
    const now = this.#settleNow();
    const c = this.#counters;
    const ordered = this.#ordered;
    const ring = this.#reorderRing;
    const latency = c.latency;
    const perAttempt = latency.tracesAttempts;
    const items = g.items;
    const m = g.size;
    const failed = failures?.length ?? 0;
    const kind = this.#options.kind;
    if (failed === 0 && !perAttempt && this.#discards && (kind === "map" || kind === "tap" || kind === "sink")) {
      // nothing reads the output and every item went through: only the count goes on (what
      // #handOn would count item by item)
      c.out += m;
      latency.recordMany(now - g.startedAt, m);
      c.finishedMany(m, now);
      this.#releaseGroup(g, m);
      return;
    }
    let f = 0;
    let nextFailure = failed > 0 ? failures![0]!.at : -1;
    for (let k = 0; k < m; k++) {
      if (k === nextFailure) {
        const failure = failures![f++]!;
        nextFailure = f < failed ? failures![f]!.at : -1;
        this.#leaveGroup(g, k, failure.error, failure.step);
        if (this.#ended) return;
        continue;
      }
      if (perAttempt) latency.record(now - g.startedAt);
      this.#handOn(items[k], values[offset + k], g.arrival + k, g.indexAt(k));
    }
    const done = m - failed;
    if (!perAttempt && done > 0) latency.recordMany(now - g.startedAt, done);
    c.finishedMany(done, now);
    this.#releaseGroup(g, done);
    if (ordered && ring.stateAt(this.#emitArrival) !== EMPTY) this.#drainRing();
  }

  /** No item of a group ran to its end ({@link GroupOwner}): each fails with `error`, in order. */
  rejectGroup(group: Group, error: unknown): void {
    const g = group as GroupSlot;
    if (this.#ended || !g.busy) return;
    for (let k = 0; k < g.size; k++) {
      this.#leaveGroup(g, k, error, undefined);
      if (this.#ended) return;
    }
    this.#releaseGroup(g, 0);
  }

  /** Item `k` of group `g` failed: it leaves for a slot of its own, rejected there (it stays in flight). */
  #leaveGroup(g: GroupSlot, k: number, error: unknown, step: FailedStep | undefined): void {
    const slot = this.#takeSlot();
    slot.busy = true;
    slot.item = g.items[k];
    slot.index = g.indexAt(k);
    slot.attempt = 1;
    slot.arrival = g.arrival + k;
    slot.startedAt = g.startedAt;
    this.rejected(slot, error, step);
  }

  /** Group `g` ended, `done` of its items with it (the rest left it): its slot is free again. */
  #releaseGroup(g: GroupSlot, done: number): void {
    g.busy = false;
    g.items = NO_ITEMS;
    g.indices = undefined;
    this.#inFlight -= done;
    this.#freeGroups.push(g);
    if (this.#window > 1) this.#pumpAfterBurst();
    else this.#pump();
  }

  /**
   * The per-item pass of {@link StageStep.#pump} for an executor without a batch path, when no
   * gate admits items and the runner arms no timer per item (most async stages): what the window,
   * the reorder limit and the input allow is counted once, as {@link StageStep.#submitRun} does,
   * then each item starts on its own. After each start only what a synchronous settle can change
   * is checked again, as the per-item loop would: the step ended (a failure under `fail`), the
   * outbox began to flush, or the window filled (a flatMap's outputs). Returns the clock read.
   */
  #startRun(now: number): number {
    const n = this.#roomForRun();
    if (n <= 0) return now;
    if (now < 0) now = this.#scope.clock.now();
    const c = this.#counters;
    const executor = this.#executor;
    for (let k = 0; k < n; k++) {
      const slot = this.#firstAttempt(now);
      this.#inFlight++;
      c.in++;
      // counted before it starts: a synchronous settle inside counts it finished
      c.started(now);
      executor.execute(slot, slot);
      if (this.#ended || this.#outbox.flushing || this.#occupied() >= this.#window) break;
    }
    return now;
  }

  /**
   * How many input items may start now, as the per-item loop would let in one by one: what the
   * window, the reorder limit and the input allow; 0 while the outbox flushes or once ended.
   */
  #roomForRun(): number {
    if (this.#outbox.flushing || this.#ended) return 0;
    return Math.min(
      this.#window - this.#occupied(),
      this.#input.size,
      this.#reorderLimit - (this.#nextArrival - this.#emitArrival),
    );
  }

  /** The next input item in a free slot, as its first attempt, started at `now` (not counted yet). */
  #firstAttempt(now: number): StageSlot {
    const input = this.#input;
    const slot = this.#takeSlot();
    slot.busy = true;
    slot.item = input.shift();
    slot.index = input.shiftedSeq;
    slot.attempt = 1;
    slot.arrival = this.#nextArrival++;
    slot.startedAt = now;
    return slot;
  }

  /** Starts an attempt (the first or a retry) at clock time `now`. */
  #start(slot: StageSlot, now: number): void {
    slot.startedAt = now;
    const timeoutMs = this.#options.timeoutMs;
    if (timeoutMs !== undefined && this.#executor.ownsTimeouts !== true) {
      slot.controller = new AbortController();
      slot.signal = slot.controller.signal;
      slot.timer = this.#scope.clock.setTimer(slot.onTimeout, timeoutMs);
      this.#timed.add(slot);
    }
    this.#executor.execute(slot, slot);
  }

  #pumpAfterBurst(): void {
    if (this.#pumpSoon) return;
    this.#pumpSoon = true;
    microtask(this.#pumpLater);
  }

  /** The clock for a settle: read once per burst of settles when settle times may be shared. */
  #settleNow(): number {
    // one item at a time has no bursts to share a read with
    if (!this.#options.shareSettleTime || this.#window === 1) return this.#scope.clock.now();
    if (this.#settleTime < 0) {
      this.#settleTime = this.#scope.clock.now();
      this.#pumpAfterBurst();
    }
    return this.#settleTime;
  }

  /**
   * Called through a slot's bound `resolve`. With a window wider than one on the real clock, the
   * outcome waits for the end of the burst of settles it came in (see {@link StageStep.#handleSettled}).
   */
  resolved(slot: StageSlot, value: unknown): void {
    if (slot.abandoned || this.#ended) return;
    if (this.#options.shareSettleTime && this.#window > 1) {
      const k = this.#settledCount++;
      this.#settled[k] = slot;
      this.#settledValues[k] = value;
      if (!this.#pumpSoon) {
        this.#pumpSoon = true;
        microtask(this.#pumpLater);
      }
      return;
    }
    this.#resolvedAt(slot, value, this.#settleNow());
  }

  /**
   * Handles the burst's resolved attempts, in the order they settled, at one clock read: as
   * {@link StageStep.#resolvedAt} would, one by one. The common case (no timer, no admission to
   * give back, not a flatMap, and in an ordered stage the next item due out) is done here
   * inline: its result goes straight into the outbox, its slot back to the free ones, and the
   * items it finished are counted once for the burst.
   */
  #handleSettled(): void {
    // an attempt that settles while the burst is handled joins it
    for (let from = 0; from < this.#settledCount;) {
      const to = this.#settledCount;
      this.#settleMany(this.#settled, this.#settledValues, from, to, this.#settleNow(), true);
      from = to;
    }
    this.#settledCount = 0;
  }

  /**
   * Resolves the attempts `slots[from..to)` that settled at `now` with `values` (a burst, or a
   * pool's batch): each one that needs nothing of its own (no timer, no admission to release, not
   * a flatMap) goes straight into the outbox (or, ordered and ahead of an earlier item, into the
   * reorder ring) and its slot back to the free ones; the rest take {@link StageStep.#resolvedAt}.
   * Items started together share a latency: recorded once per run of them (unless traced).
   * `clear` empties the arrays' entries (the runner's own burst buffers, which outlive the burst).
   * The pump the burst scheduled refills the window.
   */
  #settleMany(
    slots: readonly StageSlot[],
    values: unknown[],
    from: number,
    to: number,
    now: number,
    clear: boolean,
  ): void {
    const c = this.#counters;
    const kind = this.#options.kind;
    const ordered = this.#ordered;
    const ring = this.#reorderRing;
    const mutable = slots as StageSlot[];
    let finished = 0;
    // items started together (one submit) settle with the same latency: one histogram call per
    // run of them, unless a tracer wants a span per attempt
    const latency = c.latency;
    const perAttempt = latency.tracesAttempts;
    let runStart = Number.NaN;
    let runCount = 0;
    for (let k = from; k < to; k++) {
      const slot = slots[k]!;
      const value = values[k];
      if (clear) {
        mutable[k] = undefined as unknown as StageSlot;
        values[k] = undefined;
      }
      if (slot.abandoned || this.#ended) continue;
      if (kind === "flatMap" || slot.timer !== undefined || slot.controller !== undefined || slot.admitted) {
        this.#resolvedAt(slot, value, now);
        continue;
      }
      finished++;
      if (perAttempt) latency.record(now - slot.startedAt);
      else if (slot.startedAt === runStart) runCount++;
      else {
        if (runCount > 0) latency.recordMany(now - runStart, runCount);
        runStart = slot.startedAt;
        runCount = 1;
      }
      this.#handOn(slot.item, value, slot.arrival, slot.index);
      slot.busy = false;
      slot.item = undefined;
      this.#inFlight--;
      this.#putSlot(slot);
    }
    if (runCount > 0) latency.recordMany(now - runStart, runCount);
    c.finishedMany(finished, now);
    if (ordered && ring.stateAt(this.#emitArrival) !== EMPTY) this.#drainRing();
  }

  /**
   * What an attempt that resolved with `value` hands on, for {@link StageStep.#settleMany} and
   * {@link StageStep.resolveGroup}: the result (map), the item itself (tap, a kept filter item),
   * its outputs (a pool chain run as a flatMap, on the group path: an array), or nothing,
   * counted, and put in the outbox when its turn has come or, ordered and ahead of an earlier
   * item still out, in the reorder ring (drained by the caller). Nothing when nobody reads the
   * stage's output.
   */
  #handOn(item: unknown, value: unknown, arrival: number, index: number): void {
    const kind = this.#options.kind;
    if (kind === "flatMap") {
      // (the group path only) a pool chain's outputs for the item, an array: a filter in the
      // chain gives 0 or 1
      this.#counters.out += (value as unknown[]).length;
      this.#deliver(arrival, index, MANY, value);
      return;
    }
    const out = kind === "map" ? value : kind === "tap" || (kind === "filter" && value) ? item : DROP;
    if (out !== DROP || kind === "sink") this.#counters.out++;
    if (this.#discards) return;
    if (!this.#ordered || arrival === this.#emitArrival) {
      if (out !== DROP) this.#outbox.appendValue(out, index);
      if (this.#ordered) this.#emitArrival++;
    } else if (out === DROP) this.#reorderRing.put(arrival, DROPPED, undefined, index);
    else this.#reorderRing.put(arrival, READY, out, index);
  }

  /**
   * The batch path ({@link BatchSettle}): a pool resolves a batch's successes in one call. They
   * share one clock read and one refill; each item is then handled as {@link StageStep.resolved}
   * would (ordering, counters, latency, admission release). On an injected clock, where every
   * read counts, each reads the clock as it would alone.
   */
  resolveBatch(settles: readonly Settle[], values: readonly unknown[], n: number): void {
    if (this.#ended) return;
    if (!this.#options.shareSettleTime) {
      for (let k = 0; k < n; k++) this.resolved(settles[k] as StageSlot, values[k]);
      return;
    }
    const now = this.#settleNow();
    if (this.#window > 1) {
      // (the first clock read of the burst scheduled its refill)
      this.#settleMany(settles as readonly StageSlot[], values as unknown[], 0, n, now, false);
      return;
    }
    for (let k = 0; k < n; k++) {
      const slot = settles[k] as StageSlot;
      if (slot.abandoned || this.#ended) continue;
      this.#resolvedAt(slot, values[k], now);
    }
  }

  #resolvedAt(slot: StageSlot, value: unknown, now: number): void {
    this.#clearTimer(slot);
    if (slot.admitted) this.#releaseAdmission(slot, true, undefined, now);
    const c = this.#counters;
    c.finished(now);
    c.latency.record(now - slot.startedAt);
    switch (this.#options.kind) {
      case "map":
        c.out++;
        this.#deliver(slot.arrival, slot.index, READY, value);
        break;
      case "tap":
        c.out++;
        this.#deliver(slot.arrival, slot.index, READY, slot.item);
        break;
      case "sink":
        c.out++;
        this.#deliver(slot.arrival, slot.index, DROPPED, undefined);
        break;
      case "filter":
        if (value) {
          c.out++;
          this.#deliver(slot.arrival, slot.index, READY, slot.item);
        } else this.#deliver(slot.arrival, slot.index, DROPPED, undefined);
        break;
      case "flatMap":
        this.#expand(slot, value);
        return;
    }
    // one item at a time: the next one starts in this same turn, at the clock read just taken
    this.#release(slot, this.#options.shareSettleTime ? now : -1);
  }

  /**
   * A flatMap result: an array goes out at once; any other Iterable or AsyncIterable becomes an
   * {@link Expansion}, pulled lazily when its turn comes (an array-like is copied, as
   * `Array.from` would).
   */
  #expand(slot: StageSlot, value: unknown): void {
    let result: ReturnType<typeof expansionOf>;
    try {
      result = expansionOf(value);
    } catch (error) {
      this.#finalFailure(slot.item, slot.index, slot.arrival, error, slot.attempt);
      this.#release(slot);
      return;
    }
    if (Array.isArray(result)) {
      this.#counters.out += result.length;
      this.#deliver(slot.arrival, slot.index, MANY, result);
      this.#release(slot);
      return;
    }
    const e = new Expansion(result.iterator, result.isAsync, slot.arrival, slot.index, slot.item, slot.attempt);
    this.#expansions.add(e);
    this.#counters.started(this.#scope.clock.now());
    this.#inFlight++; // until exhausted: it counts against the window
    this.#release(slot);
    if (this.#ordered) this.#deliver(e.arrival, e.index, EXPAND, e);
    else this.#pull(e);
  }

  /** The outbox may take more expanded items now. */
  #outboxOpen(): boolean {
    return !this.#outbox.flushing && this.#outbox.length < SPILL_AT;
  }

  /** Pulls an expansion while the outbox has room (stalling it otherwise) until it ends. */
  #pull(e: Expansion): void {
    while (!this.#ended && !e.pulling) {
      if (!this.#outboxOpen()) {
        this.#stalled.add(e);
        return;
      }
      let r: IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
      try {
        r = e.iterator.next();
      } catch (error) {
        this.#expansionEnded(e, error, true);
        return;
      }
      if (e.isAsync) {
        e.pulling = true;
        Promise.resolve(r).then(
          (next) => {
            e.pulling = false;
            if (this.#ended) return;
            if (next.done === true) this.#expansionEnded(e, undefined, false);
            else {
              this.#expanded(e, next.value);
              this.#pull(e);
            }
          },
          (error: unknown) => {
            e.pulling = false;
            if (!this.#ended) this.#expansionEnded(e, error, true);
          },
        );
        return;
      }
      const next = r as IteratorResult<unknown>;
      if (next.done === true) {
        this.#expansionEnded(e, undefined, false);
        return;
      }
      this.#expanded(e, next.value);
    }
  }

  /** One item of an expansion goes to the outbox. */
  #expanded(e: Expansion, value: unknown): void {
    this.#counters.out++;
    const children = this.#options.children;
    this.#outbox.append(READY, value, children === undefined ? e.index : children.child(e.index, e.pulled++));
  }

  /**
   * An expansion is exhausted or threw: its items already went on; a throw is the item's failure
   * (its error policy applies, without retry: the items it yielded cannot be taken back).
   */
  #expansionEnded(e: Expansion, error: unknown, failed: boolean): void {
    if (!this.#expansions.delete(e)) return;
    this.#stalled.delete(e);
    this.#counters.finished(this.#scope.clock.now());
    if (failed) {
      try {
        const c = this.#counters;
        c.failed(error);
        itemFailed(this.#scope, c, this.#options.onError, e.item, e.index, error, e.attempts);
      } catch (stageError) {
        if (e.index < this.#failedIndex) this.#failedIndex = e.index;
        this.#scope.fail(stageError);
      }
    }
    this.#inFlight--;
    if (this.#ordered) {
      // it held the head of the order: what waited behind it goes out now
      this.#emitArrival++;
      this.#drainRing();
    }
    this.#pump();
  }

  /**
   * Called through a slot's bound `reject`. `failedStep` names the later stage of a colocated
   * chain that failed: the failure is reported under it, with the value it was given; a retry
   * still runs the whole chain again from the slot's item.
   */
  rejected(slot: StageSlot, error: unknown, failedStep?: FailedStep): void {
    if (slot.abandoned || this.#ended) return;
    this.#clearTimer(slot);
    const c = this.#counters;
    c.failed(error);
    const scope = this.#scope;
    const now = scope.clock.now();
    c.latency.record(now - slot.startedAt);
    if (slot.admitted) this.#releaseAdmission(slot, false, error, now);
    if (!scope.signal.aborted && shouldRetry(this.#options.retry, error, slot.attempt)) {
      const delay = backoffDelay(this.#options.retry, slot.attempt, scope.random);
      c.retries++;
      if (scope.events.has("stage:error")) {
        const [stage, item] = failedAt(c.name, slot.item, failedStep);
        scope.events.emit("stage:error", {
          stage,
          index: Math.floor(slot.index), // a keyed run's flatMap child: its id's source index
          item,
          error,
          attempt: slot.attempt,
          action: "retry",
        });
      }
      if (scope.events.has("stage:retry")) {
        scope.events.emit("stage:retry", {
          stage: c.name,
          index: Math.floor(slot.index), // a keyed run's flatMap child: its id's source index
          attempt: slot.attempt + 1,
          delayMs: delay,
        });
      }
      slot.attempt++;
      slot.timer = scope.clock.setTimer(() => {
        slot.timer = undefined;
        this.#timed.delete(slot);
        if (this.#ended) return;
        const at = scope.clock.now();
        if (this.#gate !== undefined) {
          slot.waitingSince = -1;
          if (!this.#gate.admit(slot, at, true)) {
            this.#pump(); // held for its key alone, it frees its slot for other keys
            return;
          }
          slot.admitted = true;
        }
        this.#start(slot, at);
      }, delay);
      this.#timed.add(slot);
      return;
    }
    c.finished(now);
    this.#finalFailure(slot.item, slot.index, slot.arrival, error, slot.attempt, failedStep);
    this.#release(slot);
  }

  /** Called by a slot's timer: abort the attempt and fail it with a TimeoutError. */
  timedOut(slot: StageSlot): void {
    if (slot.abandoned || this.#ended) return;
    const error = new TimeoutError(
      `stage "${this.#counters.name}" item ${Math.floor(slot.index)}`,
      this.#options.timeoutMs ?? 0,
    );
    slot.timer = undefined;
    if (slot.admitted) this.#releaseAdmission(slot, false, error, this.#scope.clock.now());
    // abandon the slot before aborting: an executor may reject from inside the abort listener,
    // and that late settle must not count as this attempt's outcome too
    slot.abandoned = true;
    this.#timed.delete(slot);
    slot.busy = false;
    this.#slots.delete(slot);
    slot.controller?.abort(error);
    const fresh = this.#newSlot();
    fresh.busy = true;
    fresh.item = slot.item;
    fresh.index = slot.index;
    fresh.attempt = slot.attempt;
    fresh.arrival = slot.arrival;
    fresh.startedAt = slot.startedAt;
    this.rejected(fresh, error);
  }

  /** The attempt holding an admission ended: release it, then apply any Retry-After it reported. */
  #releaseAdmission(slot: StageSlot, ok: boolean, error: unknown, now: number): void {
    const gate = this.#gate!;
    slot.admitted = false;
    gate.release(
      slot.item,
      ok ? { ok, latencyMs: now - slot.startedAt } : { ok, error, latencyMs: now - slot.startedAt },
      now,
    );
    const ms = slot.retryAfterMs ?? (ok ? undefined : retryAfterMs(error));
    slot.retryAfterMs = undefined;
    if (ms !== undefined) gate.penalize(slot.item, ms, now);
  }

  #clearTimer(slot: StageSlot): void {
    if (slot.timer !== undefined) {
      slot.timer.cancel();
      slot.timer = undefined;
      this.#timed.delete(slot);
    }
    if (slot.controller !== undefined) {
      slot.controller = undefined;
      slot.signal = this.#scope.signal;
    }
  }

  #finalFailure(
    item: unknown,
    index: number,
    arrival: number,
    error: unknown,
    attempts: number,
    failedStep?: FailedStep,
  ): void {
    try {
      const [stage, failedItem] = failedAt(this.#counters.name, item, failedStep);
      itemFailed(this.#scope, this.#counters, this.#options.onError, failedItem, index, error, attempts, stage);
      this.#deliver(arrival, index, DROPPED, undefined);
    } catch (stageError) {
      if (index < this.#failedIndex) this.#failedIndex = index;
      this.#scope.fail(stageError);
    }
  }

  /** A free slot, or a new one. */
  #takeSlot(): StageSlot {
    return this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#newSlot();
  }

  #putSlot(slot: StageSlot): void {
    this.#free[this.#freeCount++] = slot;
  }

  #newSlot(): StageSlot {
    const signal = this.#scope.signal;
    const slot = this.#poolSlots ? new PoolSlot(this, signal) : new BoundSlot(this, signal);
    this.#slots.add(slot);
    return slot;
  }

  minIndex(): number {
    let min = this.#failedIndex;
    for (const slot of this.#slots) if (slot.busy && slot.index < min) min = slot.index;
    for (const g of this.#groupSlots) {
      if (!g.busy) continue;
      if (g.indices === undefined) min = Math.min(min, g.index);
      else for (const index of g.indices) if (index < min) min = index;
    }
    for (const e of this.#expansions) if (e.index < min) min = e.index;
    return this.#outbox.minIndex(this.#reorderRing.minIndex(min));
  }

  forEachHeld(visit: (index: number) => void): void {
    if (this.#failedIndex !== Infinity) visit(this.#failedIndex);
    for (const slot of this.#slots) if (slot.busy) visit(slot.index);
    for (const g of this.#groupSlots) if (g.busy) for (let k = 0; k < g.size; k++) visit(g.indexAt(k));
    for (const e of this.#expansions) visit(e.index);
    this.#reorderRing.forEachIndex(visit);
    this.#outbox.forEachIndex(visit);
  }

  forEachPending(visit: (index: number) => void): void {
    this.#emitter.forEachPending(visit);
  }

  held(): number {
    // an expansion counts in #inFlight
    return this.#inFlight + this.#outbox.length + this.#emitter.pending() + this.#reorderRing.held();
  }

  /** The slot is free again; `now` as in {@link StageStep.#pump}, for a window of one. */
  #release(slot: StageSlot, now = -1): void {
    slot.busy = false;
    slot.item = undefined;
    this.#inFlight--;
    this.#putSlot(slot);
    // refill once per microtask turn, not once per settle: settles come in bursts (a pool's
    // batch resolves a thousand attempts in one go; promise reactions run back to back)
    if (this.#window > 1) this.#pumpAfterBurst();
    else this.#pump(now);
  }

  #deliver(arrival: number, index: number, state: RingState, value: unknown): void {
    if (this.#discards && state !== EXPAND) {
      if (!this.#ordered) return;
      // an ordered flatMap's turn, kept for the expansions behind it: nothing goes out
      state = DROPPED;
      value = undefined;
    }
    if (!this.#ordered) {
      this.#outbox.append(state, value, index);
      return;
    }
    const ring = this.#reorderRing;
    if (arrival !== this.#emitArrival) {
      ring.put(arrival, state, value, index);
      return;
    }
    if (state === EXPAND) {
      // its turn: it holds the head of the order until exhausted
      this.#pull(value as Expansion);
      return;
    }
    this.#outbox.append(state, value, index);
    this.#emitArrival++;
    if (ring.stateAt(this.#emitArrival) !== EMPTY) this.#drainRing();
  }

  /**
   * Emits, in order, what waited in the ring from the head of the order; stops at an expansion
   * that is not exhausted at once. One that is (an empty iterable) asks for another pass rather
   * than recursing, so a run of them costs no stack.
   */
  #drainRing(): void {
    if (this.#drainingRing) {
      this.#redrain = true;
      return;
    }
    this.#drainingRing = true;
    const ring = this.#reorderRing;
    try {
      do {
        this.#redrain = false;
        for (;;) {
          const arrival = this.#emitArrival;
          const state = ring.stateAt(arrival);
          if (state === EMPTY) break;
          const index = ring.indexAt(arrival);
          const value = ring.take(arrival);
          if (state === EXPAND) {
            this.#pull(value as Expansion); // exhausted at once: it asked for another pass
            break;
          }
          this.#outbox.append(state, value, index);
          this.#emitArrival++;
        }
      } while (this.#redrain);
    } finally {
      this.#drainingRing = false;
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // cut short (the run aborted): release what the unfinished iterables hold
    for (const e of this.#expansions) {
      try {
        const returned = e.iterator.return?.();
        if (returned instanceof Promise) returned.catch(ignore);
      } catch {
        // an iterator that throws on return() has nothing more to release
      }
    }
    this.#stalled.clear();
    if (this.#gate !== undefined) {
      // a shared bulkhead or limiter must get back what this run still holds
      const now = this.#scope.clock.now();
      for (const slot of this.#slots) {
        if (slot.admitted) {
          // cut short, not failed: a shared breaker or adaptive limit records nothing for it
          slot.admitted = false;
          this.#gate.release(slot.item, cancelledOutcome(this.#scope.signal.reason, now - slot.startedAt), now);
        }
      }
      this.#gate.close();
    }
    this.#emitter.close();
    const finish = this.#finish;
    if (finish !== undefined) finish();
    else queueMicrotask(() => this.#finish?.());
  }
}
