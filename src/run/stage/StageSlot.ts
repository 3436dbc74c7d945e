import type { Attempt, BatchSettle, FailedStep, Settle } from "../../executor/Executor.js";
import type { TimerHandle } from "../../time/Clock.js";
import type { Waiter } from "./AdmissionGate.js";

/** Where a slot's bound settle functions and timer land (the stage runner). */
export interface SlotOwner extends BatchSettle {
  resolved(slot: StageSlot, value: unknown): void;
  rejected(slot: StageSlot, error: unknown, failedStep?: FailedStep): void;
  timedOut(slot: StageSlot): void;
}

/**
 * One item in flight in a stage runner. It is the {@link Attempt} handed to the executor (no
 * per-item allocation) and owns bound settle functions. A timed-out attempt abandons its slot: a
 * late settle from it is ignored, and the item moves to a fresh slot for its next attempt.
 */
export class StageSlot implements Attempt, Settle, Waiter {
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
  readonly retryAfter: (ms: number) => void;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown, failedStep?: FailedStep) => void;
  readonly onTimeout: () => void;
  /** The runner, which resolves a pool's batch of slots in one call. */
  readonly owner: SlotOwner;

  constructor(owner: SlotOwner, signal: AbortSignal) {
    this.signal = signal;
    this.owner = owner;
    this.resolve = (value) => owner.resolved(this, value);
    this.reject = (error, failedStep) => owner.rejected(this, error, failedStep);
    this.onTimeout = () => owner.timedOut(this);
    this.retryAfter = (ms) => {
      this.retryAfterMs = ms;
    };
  }
}
