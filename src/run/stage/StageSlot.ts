import type { Attempt, BatchSettle, FailedStep, Group, GroupOwner, Settle } from "../../executor/Executor.js";
import type { TimerHandle } from "../../time/Clock.js";
import { groupIndexAt } from "../../executor/groupIndex.js";
import type { Waiter } from "./AdmissionGate.js";

/** Where a slot's bound settle functions and timer land (the stage runner). */
export interface SlotOwner extends BatchSettle {
  resolved(slot: StageSlot, value: unknown): void;
  rejected(slot: StageSlot, error: unknown, failedStep?: FailedStep): void;
  timedOut(slot: StageSlot): void;
}

/**
 * One item in flight in a stage runner. It is the {@link Attempt} handed to the executor (no
 * per-item allocation) and owns settle functions bound to it. A timed-out attempt abandons its
 * slot: a late settle from it is ignored, and the item moves to a fresh slot for its next attempt.
 *
 * Two kinds: a {@link BoundSlot} has its settle functions from the start (an async stage hands
 * them to every attempt's promise); a {@link PoolSlot} makes them when first asked for, since a
 * pool resolves its batches through {@link SlotOwner.resolveBatch} and reads them only for a
 * failure. The timer callback and the Retry-After hook are made on first use by both.
 */
export abstract class StageSlot implements Attempt, Settle, Waiter {
  item: unknown = undefined;
  /** Source index of the item. */
  index = 0;
  attempt = 1;
  signal: AbortSignal;
  /** Arrival number of the item at this stage (its place in an ordered stage's output). */
  arrival = 0;
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
  /** The runner, which resolves a pool's batch of slots in one call. */
  readonly owner: SlotOwner;
  /** Settles the attempt with a value (bound: may be handed on as a callback). */
  abstract readonly resolve: (value: unknown) => void;
  /** Settles the attempt with an error (bound). */
  abstract readonly reject: (error: unknown, failedStep?: FailedStep) => void;
  #onTimeout: (() => void) | undefined = undefined;
  #retryAfter: ((ms: number) => void) | undefined = undefined;

  constructor(owner: SlotOwner, signal: AbortSignal) {
    this.signal = signal;
    this.owner = owner;
  }

  /** The attempt's timer callback (bound). */
  get onTimeout(): () => void {
    return (this.#onTimeout ??= () => this.owner.timedOut(this));
  }

  /** Where `ctx.retryAfter(ms)` lands (bound). */
  get retryAfter(): (ms: number) => void {
    return (this.#retryAfter ??= (ms) => {
      this.retryAfterMs = ms;
    });
  }
}

/** A slot whose settle functions exist from the start: read for every attempt (an async stage's). */
export class BoundSlot extends StageSlot {
  readonly resolve = (value: unknown): void => this.owner.resolved(this, value);
  readonly reject = (error: unknown, failedStep?: FailedStep): void => this.owner.rejected(this, error, failedStep);
}

/**
 * A pool stage's slot: its settle functions are made when first read (a failure, a retry, an
 * item that waits for the pool's code), not for each of the thousands of slots a pool's window
 * holds, made anew by every run (bench/README.md, "Pool slots without closures").
 */
export class PoolSlot extends StageSlot {
  #resolve: ((value: unknown) => void) | undefined = undefined;
  #reject: ((error: unknown, failedStep?: FailedStep) => void) | undefined = undefined;

  get resolve(): (value: unknown) => void {
    return (this.#resolve ??= (value) => this.owner.resolved(this, value));
  }

  get reject(): (error: unknown, failedStep?: FailedStep) => void {
    return (this.#reject ??= (error, failedStep) => this.owner.rejected(this, error, failedStep));
  }
}

/**
 * A run of a pool stage's items handed to its executor as one {@link Group} (the group path:
 * see `StageStep`): their items, source indices and arrival numbers (`arrival`, `arrival + 1`,
 * …), started together. Reused by its runner once the group ended.
 */
export class GroupSlot implements Group {
  items: unknown[] = [];
  size = 0;
  index = 0;
  indices: number[] | undefined = undefined;
  signal: AbortSignal;
  /** Arrival number of the first item (the rest follow one by one). */
  arrival = 0;
  startedAt = 0;
  /** Its items are in flight. */
  busy = false;
  readonly owner: GroupOwner;

  constructor(owner: GroupOwner, signal: AbortSignal) {
    this.owner = owner;
    this.signal = signal;
  }

  /** Source index of item `k`. */
  indexAt(k: number): number {
    return groupIndexAt(this, k);
  }
}
