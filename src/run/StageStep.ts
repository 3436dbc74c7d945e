import type { Channel } from "../channel/Channel.js";
import { TimeoutError } from "../errors/TimeoutError.js";
import type { Attempt, Executor, FailedStep, Settle } from "../executor/Executor.js";
import { cancelledOutcome, type Admission } from "../policy/Admission.js";
import { retryAfterMs } from "../policy/retryAfterMs.js";
import { AdmissionGate, type Waiter } from "./AdmissionGate.js";
import { backoffDelay, shouldRetry, type RetryPolicy } from "../policy/retry.js";
import type { ErrorPolicy } from "../stage/StageKind.js";
import type { StageCounters } from "../stats/StageCounters.js";
import type { TimerHandle } from "../time/Clock.js";
import type { Emitter } from "./Emitter.js";
import { itemFailed } from "./itemFailed.js";
import type { RunScope } from "./RunScope.js";
import { minOf, type Step } from "./Step.js";
import { microtask } from "../time/microtask.js";
import { SPILL_AT } from "./compileTail.js";
import { Expansion } from "./Expansion.js";
import { onAbort } from "./onAbort.js";

/** The settings a stage runner needs, every field present. */
export interface StageStepOptions {
  readonly kind: "map" | "filter" | "flatMap" | "tap" | "sink";
  readonly concurrency: number;
  readonly ordered: boolean;
  /** A slow item holds back at most this many later items (ordered stages). */
  readonly reorderCapacity: number;
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
}

const EMPTY = 0;
const READY = 1;
const DROPPED = 2;
const MANY = 3;
/** A flatMap's iterable, to be pulled when its turn in the output order comes. */
const EXPAND = 4;
const ignore = (): void => {};

/**
 * One item in flight. It is the {@link Attempt} handed to the executor (no per-item allocation)
 * and owns bound settle functions. A timed-out attempt abandons its slot: a late settle from it
 * is ignored, and the item moves to a fresh slot for its next attempt.
 */
class Slot implements Attempt, Settle, Waiter {
  item: unknown = undefined;
  index = 0;
  attempt = 1;
  signal: AbortSignal;
  ord = 0;
  startedAt = 0;
  controller: AbortController | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  abandoned = false;
  /** An item is in this slot (first attempt to final settle, backoff included). */
  busy = false;
  /** Its current attempt holds an admission (to release when it ends). */
  admitted = false;
  waitingSince = -1;
  /** Retry-After reported by the running attempt through `ctx.retryAfter`. */
  retryAfterMs: number | undefined = undefined;
  readonly retryAfter: (ms: number) => void;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown, failedStep?: FailedStep) => void;
  readonly onTimeout: () => void;

  constructor(step: StageStep, signal: AbortSignal) {
    this.signal = signal;
    this.resolve = (value) => step.resolved(this, value);
    this.reject = (error, failedStep) => step.rejected(this, error, failedStep);
    this.onTimeout = () => step.timedOut(this);
    this.retryAfter = (ms) => {
      this.retryAfterMs = ms;
    };
  }
}

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
export class StageStep implements Step {
  readonly #input: Channel<unknown>;
  readonly #executor: Executor;
  readonly #emitter: Emitter;
  readonly #scope: RunScope;
  readonly #counters: StageCounters;
  readonly #o: StageStepOptions;
  /** Items kept in flight; re-read on each pump, as a pool's window grows with its batch size. */
  #window: number;
  readonly #free: Slot[] = [];
  readonly #gate: AdmissionGate<Slot> | undefined;
  /** Every slot that may hold an item, for {@link StageStep.minSeq}. */
  readonly #slots = new Set<Slot>();
  /** flatMap results not yet exhausted (waiting for their turn, or being pulled). */
  readonly #expansions = new Set<Expansion>();
  /** Expansions waiting for the outbox to empty before they are pulled further. */
  readonly #stalled = new Set<Expansion>();
  #drainingRing = false;
  #redrain = false;
  /** Smallest source index of an item that failed the run (`onError: "fail"`): never done. */
  #failedSeq = Infinity;
  #flushingS: number[] | undefined;
  readonly #timed = new Set<Slot>();
  #inFlight = 0;
  // ordered output: a ring indexed by the item's arrival order
  #nextOrd = 0;
  #emitOrd = 0;
  readonly #ringMask: number;
  readonly #ringV: unknown[];
  readonly #ringS: Float64Array;
  readonly #ringState: Uint8Array;
  readonly #reorderLimit: number;
  /** Most items held at the gate by their key alone (outside the window): the stage's capacity. */
  readonly #keyedLimit: number;
  // outbox: completed items waiting to be emitted (double-buffered)
  #outV: unknown[] = [];
  #outS: number[] = [];
  #spareV: unknown[] = [];
  #spareS: number[] = [];
  #flushScheduled = false;
  #flushing = false;
  #pumping = false;
  #repump = false;
  #waitingInput = false;
  #ended = false;
  #finish: (() => void) | undefined;
  readonly #flushCb = (): void => this.#flush();
  /** A refill is queued for the end of this burst of settles (one microtask for the burst). */
  #pumpSoon = false;
  /** The clock read shared by this burst's settles (-1: none yet); the refill forgets it. */
  #settleTime = -1;
  readonly #pumpLater = (): void => {
    this.#pumpSoon = false;
    this.#settleTime = -1;
    this.#pump();
  };
  readonly #pumpCb = (): void => {
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
    this.#o = options;
    this.#window = Math.max(1, executor.window(options.concurrency));
    const maxWindow = Math.max(this.#window, executor.maxWindow?.(options.concurrency) ?? 0);
    this.#reorderLimit = options.ordered ? Math.max(maxWindow, options.reorderCapacity) : Infinity;
    this.#keyedLimit = Math.max(maxWindow, options.reorderCapacity);
    let ring = 2;
    if (options.ordered) while (ring < this.#reorderLimit) ring *= 2;
    this.#ringMask = ring - 1;
    this.#ringV = new Array<unknown>(ring);
    this.#ringS = new Float64Array(ring);
    this.#ringState = new Uint8Array(ring);
    this.#gate =
      options.admission === undefined
        ? undefined
        : new AdmissionGate<Slot>(
            options.admission,
            scope.clock,
            options.maxWaitMs,
            () => this.#pump(),
            (slot, waitMs, now) => {
              if (scope.events.has("stage:wait")) {
                scope.events.emit("stage:wait", {
                  stage: counters.name,
                  index: slot.index,
                  waitMs,
                  refusal: this.#gate?.refusal(slot.item, now),
                });
              }
            },
          );
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
   * (`#outV`). So a stage holds at most its window of items, running or waiting for room below,
   * and the source is never pulled further ahead than the channels' capacities plus the stages'
   * windows (and reorder windows).
   */
  #occupied(): number {
    return this.#inFlight - (this.#gate?.keyedWaiting ?? 0) + this.#outV.length;
  }

  #room = (): boolean => !this.#flushing && !this.#scope.signal.aborted;
  #slotFree = (): boolean => this.#occupied() < this.#window;
  #startWaiting = (slot: Slot): void => {
    slot.admitted = true;
    slot.waitingSince = -1;
    this.#start(slot, this.#scope.clock.now());
  };
  #expire = (slot: Slot, refusal: unknown): void => {
    const now = this.#scope.clock.now();
    const error =
      refusal ??
      new TimeoutError(`stage "${this.#counters.name}" item ${slot.index} waiting for admission`, this.#o.maxWaitMs);
    this.#counters.failed(error);
    this.#counters.finished(now);
    this.#finalFailure(slot.item, slot.index, slot.ord, error, slot.attempt);
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

  #pump(): void {
    if (this.#ended) return;
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#pumping = true;
    const input = this.#input;
    this.#window = Math.max(1, this.#executor.window(this.#o.concurrency));
    let now = -1; // read the clock once per pump, and only if an item starts
    const gate = this.#gate;
    do {
      this.#repump = false;
      // An abort ends this step in its listener (#ended); one that fired before that listener ran
      // (this pump called from an earlier one) is seen here. Cheaper than the signal per item.
      if (this.#scope.signal.aborted) break;
      // waiters first (at the same `now` as new items, so a key stays first-in first-out)
      if (gate !== undefined && gate.waiting > 0)
        gate.drain((now = this.#scope.clock.now()), this.#room, this.#startWaiting, this.#expire, this.#slotFree);
      while (
        gate?.blocked !== true &&
        this.#occupied() < this.#window &&
        (gate === undefined || gate.keyedWaiting < this.#keyedLimit) &&
        input.size > 0 &&
        !this.#flushing &&
        this.#nextOrd - this.#emitOrd < this.#reorderLimit &&
        !this.#ended
      ) {
        const slot = this.#free.pop() ?? this.#newSlot();
        slot.busy = true;
        slot.item = input.shift();
        slot.index = input.shiftedSeq;
        slot.attempt = 1;
        slot.ord = this.#nextOrd++;
        this.#inFlight++;
        this.#counters.in++;
        if (now < 0) now = this.#scope.clock.now();
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
        input.onReadable(this.#pumpCb);
      }
    } else if (input.closed && input.size === 0 && this.#inFlight === 0 && this.#outV.length === 0 && !this.#flushing) {
      this.#end();
    }
  }

  /** Starts an attempt (the first or a retry) at clock time `now`. */
  #start(slot: Slot, now: number): void {
    slot.startedAt = now;
    const timeoutMs = this.#o.timeoutMs;
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
    if (!this.#o.shareSettleTime || this.#window === 1) return this.#scope.clock.now();
    if (this.#settleTime < 0) {
      this.#settleTime = this.#scope.clock.now();
      this.#pumpAfterBurst();
    }
    return this.#settleTime;
  }

  /** Called through a slot's bound `resolve`. */
  resolved(slot: Slot, value: unknown): void {
    if (slot.abandoned || this.#ended) return;
    const now = this.#settleNow();
    this.#clearTimer(slot);
    if (slot.admitted) this.#releaseAdmission(slot, true, undefined, now);
    const c = this.#counters;
    c.finished(now);
    c.latency.record(now - slot.startedAt);
    switch (this.#o.kind) {
      case "map":
        c.out++;
        this.#deliver(slot.ord, slot.index, READY, value);
        break;
      case "tap":
        c.out++;
        this.#deliver(slot.ord, slot.index, READY, slot.item);
        break;
      case "sink":
        c.out++;
        this.#deliver(slot.ord, slot.index, DROPPED, undefined);
        break;
      case "filter":
        if (value) {
          c.out++;
          this.#deliver(slot.ord, slot.index, READY, slot.item);
        } else this.#deliver(slot.ord, slot.index, DROPPED, undefined);
        break;
      case "flatMap":
        this.#expand(slot, value);
        return;
    }
    this.#release(slot);
  }

  /**
   * A flatMap result: an array goes out at once; any other Iterable or AsyncIterable becomes an
   * {@link Expansion}, pulled lazily when its turn comes (an array-like is copied, as
   * `Array.from` would).
   */
  #expand(slot: Slot, value: unknown): void {
    let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
    let isAsync = false;
    let many: unknown[] | undefined;
    try {
      if (Array.isArray(value)) many = value;
      else if (value !== null && typeof value === "object" && Symbol.asyncIterator in value) {
        iterator = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
        isAsync = true;
      } else if (
        value !== null &&
        value !== undefined &&
        typeof (value as Iterable<unknown>)[Symbol.iterator] === "function"
      ) {
        iterator = (value as Iterable<unknown>)[Symbol.iterator]();
      } else many = Array.from(value as ArrayLike<unknown>);
    } catch (error) {
      this.#finalFailure(slot.item, slot.index, slot.ord, error, slot.attempt);
      this.#release(slot);
      return;
    }
    if (many !== undefined) {
      this.#counters.out += many.length;
      this.#deliver(slot.ord, slot.index, MANY, many);
      this.#release(slot);
      return;
    }
    const e = new Expansion(iterator!, isAsync, slot.ord, slot.index, slot.item, slot.attempt);
    this.#expansions.add(e);
    this.#counters.started(this.#scope.clock.now());
    this.#inFlight++; // until exhausted: it counts against the window
    this.#release(slot);
    if (this.#o.ordered) this.#deliver(e.ord, e.index, EXPAND, e);
    else this.#pull(e);
  }

  /** The outbox may take more expanded items now. */
  #outboxOpen(): boolean {
    return !this.#flushing && this.#outV.length < SPILL_AT;
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
    this.#append(READY, value, e.index);
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
        itemFailed(this.#scope, c, this.#o.onError, e.item, e.index, error, e.attempts);
      } catch (stageError) {
        if (e.index < this.#failedSeq) this.#failedSeq = e.index;
        this.#scope.fail(stageError);
      }
    }
    this.#inFlight--;
    if (this.#o.ordered) {
      // it held the head of the order: what waited behind it goes out now
      this.#emitOrd++;
      this.#drainRing();
    }
    this.#pump();
  }

  /**
   * Called through a slot's bound `reject`. `failedStep` names the later stage of a colocated
   * chain that failed: the failure is reported under it, with the value it was given; a retry
   * still runs the whole chain again from the slot's item.
   */
  rejected(slot: Slot, error: unknown, failedStep?: FailedStep): void {
    if (slot.abandoned || this.#ended) return;
    this.#clearTimer(slot);
    const c = this.#counters;
    c.failed(error);
    const scope = this.#scope;
    const now = scope.clock.now();
    c.latency.record(now - slot.startedAt);
    if (slot.admitted) this.#releaseAdmission(slot, false, error, now);
    if (!scope.signal.aborted && shouldRetry(this.#o.retry, error, slot.attempt)) {
      const delay = backoffDelay(this.#o.retry, slot.attempt, scope.random);
      c.retries++;
      if (scope.events.has("stage:error")) {
        const [stage, item] = failedAt(c.name, slot.item, failedStep);
        scope.events.emit("stage:error", {
          stage,
          index: slot.index,
          item,
          error,
          attempt: slot.attempt,
          action: "retry",
        });
      }
      if (scope.events.has("stage:retry")) {
        scope.events.emit("stage:retry", {
          stage: c.name,
          index: slot.index,
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
    this.#finalFailure(slot.item, slot.index, slot.ord, error, slot.attempt, failedStep);
    this.#release(slot);
  }

  /** Called by a slot's timer: abort the attempt and fail it with a TimeoutError. */
  timedOut(slot: Slot): void {
    if (slot.abandoned || this.#ended) return;
    const error = new TimeoutError(`stage "${this.#counters.name}" item ${slot.index}`, this.#o.timeoutMs ?? 0);
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
    fresh.ord = slot.ord;
    fresh.startedAt = slot.startedAt;
    this.rejected(fresh, error);
  }

  /** The attempt holding an admission ended: release it, then apply any Retry-After it reported. */
  #releaseAdmission(slot: Slot, ok: boolean, error: unknown, now: number): void {
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

  #clearTimer(slot: Slot): void {
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
    ord: number,
    error: unknown,
    attempts: number,
    failedStep?: FailedStep,
  ): void {
    try {
      const [stage, failedItem] = failedAt(this.#counters.name, item, failedStep);
      itemFailed(this.#scope, this.#counters, this.#o.onError, failedItem, index, error, attempts, stage);
      this.#deliver(ord, index, DROPPED, undefined);
    } catch (stageError) {
      if (index < this.#failedSeq) this.#failedSeq = index;
      this.#scope.fail(stageError);
    }
  }

  #newSlot(): Slot {
    const slot = new Slot(this, this.#scope.signal);
    this.#slots.add(slot);
    return slot;
  }

  minSeq(): number {
    let min = this.#failedSeq;
    for (const slot of this.#slots) if (slot.busy && slot.index < min) min = slot.index;
    for (const e of this.#expansions) if (e.index < min) min = e.index;
    const states = this.#ringState;
    for (let i = 0; i < states.length; i++) if (states[i] !== EMPTY && this.#ringS[i]! < min) min = this.#ringS[i]!;
    min = Math.min(min, minOf(this.#outS, this.#outS.length));
    if (this.#flushingS !== undefined) min = Math.min(min, minOf(this.#flushingS, this.#flushingS.length));
    return min;
  }

  forEachHeld(visit: (seq: number) => void): void {
    if (this.#failedSeq !== Infinity) visit(this.#failedSeq);
    for (const slot of this.#slots) if (slot.busy) visit(slot.index);
    for (const e of this.#expansions) visit(e.index);
    const states = this.#ringState;
    for (let i = 0; i < states.length; i++) if (states[i] !== EMPTY) visit(this.#ringS[i]!);
    for (const s of this.#outS) visit(s);
    if (this.#flushingS !== undefined) for (const s of this.#flushingS) visit(s);
  }

  held(): number {
    let n = this.#inFlight + this.#outV.length + this.#emitter.pending();
    const states = this.#ringState;
    for (let i = 0; i < states.length; i++) {
      const st = states[i]!;
      if (st === READY)
        n++; // an expansion counts in #inFlight
      else if (st === MANY) n += (this.#ringV[i] as unknown[]).length;
    }
    return n;
  }

  #release(slot: Slot): void {
    slot.busy = false;
    slot.item = undefined;
    this.#inFlight--;
    this.#free.push(slot);
    // refill once per microtask turn, not once per settle: settles come in bursts (a pool's
    // batch resolves a thousand attempts in one go; promise reactions run back to back)
    if (this.#window > 1) this.#pumpAfterBurst();
    else this.#pump();
  }

  #deliver(ord: number, seq: number, state: number, value: unknown): void {
    if (!this.#o.ordered) {
      this.#append(state, value, seq);
      return;
    }
    if (ord !== this.#emitOrd) {
      const i = ord & this.#ringMask;
      this.#ringState[i] = state;
      this.#ringV[i] = value;
      this.#ringS[i] = seq;
      return;
    }
    if (state === EXPAND) {
      // its turn: it holds the head of the order until exhausted
      this.#pull(value as Expansion);
      return;
    }
    this.#append(state, value, seq);
    this.#emitOrd++;
    if (this.#ringState[this.#emitOrd & this.#ringMask] !== EMPTY) this.#drainRing();
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
    const mask = this.#ringMask;
    const states = this.#ringState;
    try {
      do {
        this.#redrain = false;
        for (;;) {
          const i = this.#emitOrd & mask;
          const st = states[i]!;
          if (st === EMPTY) break;
          const value = this.#ringV[i];
          states[i] = EMPTY;
          this.#ringV[i] = undefined;
          if (st === EXPAND) {
            this.#pull(value as Expansion); // exhausted at once: it asked for another pass
            break;
          }
          this.#append(st, value, this.#ringS[i]!);
          this.#emitOrd++;
        }
      } while (this.#redrain);
    } finally {
      this.#drainingRing = false;
    }
  }

  #append(state: number, value: unknown, seq: number): void {
    if (state === READY) {
      this.#outV.push(value);
      this.#outS.push(seq);
    } else if (state === MANY) {
      for (const v of value as unknown[]) {
        this.#outV.push(v);
        this.#outS.push(seq);
      }
    } else return;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      microtask(this.#flushCb);
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#flushing || this.#outV.length === 0 || this.#ended) {
      if (!this.#flushing) this.#pump();
      return;
    }
    const v = this.#outV;
    const s = this.#outS;
    this.#outV = this.#spareV;
    this.#outS = this.#spareS;
    let wait: Promise<void> | undefined;
    // held from the moment they left the outbox (a fused stage below may read the watermark)
    this.#flushingS = s;
    try {
      wait = this.#emitter.emit(v, s, v.length);
    } catch (error) {
      this.#scope.fail(error);
      return;
    }
    if (wait === undefined) {
      this.#flushingS = undefined;
      this.#recycle(v, s);
      this.#pump();
      return;
    }
    this.#flushing = true;
    wait.then(
      () => {
        // an abort cuts a push short: what was not pushed stays held (never counted done)
        if (this.#scope.signal.aborted) return;
        this.#flushing = false;
        this.#flushingS = undefined;
        this.#recycle(v, s);
        if (this.#outV.length > 0) this.#flush();
        else this.#pump();
      },
      (error: unknown) => this.#scope.fail(error),
    );
  }

  #recycle(v: unknown[], s: number[]): void {
    v.length = 0;
    s.length = 0;
    this.#spareV = v;
    this.#spareS = s;
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

/**
 * The stage and item a failure is reported under: the runner's own, or the later stage of a
 * colocated chain that failed, with what it was given (the chain's input when that could not
 * cross back).
 */
function failedAt(stage: string, item: unknown, failedStep: FailedStep | undefined): [string, unknown] {
  if (failedStep === undefined) return [stage, item];
  return [failedStep.stage, "item" in failedStep ? failedStep.item : item];
}
