import type { WeirError } from "../../errors/WeirError.js";
import type { Admission, AdmissionOutcome } from "../../policy/Admission.js";
import { baseClock } from "../../time/baseClock.js";
import type { Clock, TimerHandle } from "../../time/Clock.js";

/** An item held at the gate. */
export interface Waiter {
  readonly item: unknown;
  /**
   * When it started waiting (clock ms): when it was queued for the stage, where the queue
   * stamped it, else when it was first refused; -1 while it has not waited. `maxWaitMs` counts
   * from it.
   */
  waitingSince: number;
}

/** A waiter and what its last refusal said. */
interface Entry<W> {
  readonly w: W;
  /** Retrying before this clock time is pointless (the admission's last wait), unless it changed since. */
  retryAt: number;
  /** The gate's count of admission changes when the item was last refused. */
  epoch: number;
  /** Its last refusal holds only items of its key: later items of other keys may pass it. */
  keyed: boolean;
}

/**
 * Times within this many ms count as reached. A timer set for `at - now` may fire a rounding
 * error short of `at`; the gate's timer is never shorter than this, so time always moves on.
 */
const SLACK_MS = 1e-6;

/**
 * Applies a stage's flow-control policies (rate limits, breakers, bulkheads, adaptive concurrency:
 * one composed {@link Admission}) in front of its attempts.
 *
 * Items the admission refuses wait here in arrival order. A refusal that holds every item (a
 * global limit, an open breaker, a full pool) holds the items behind it too: they are not tried,
 * and new items queue behind ({@link AdmissionGate.blocked}); such a waiter keeps its slot of the
 * stage's window. A refusal for the item's key alone ({@link Admission.keyedRefusal}: a per-key
 * limit or Retry-After) holds only that key: the gate goes on to later items, the stage does not
 * count the waiter against its concurrency ({@link AdmissionGate.keyedWaiting}; it bounds them by
 * its capacity instead), so one slow key does not hold the others, and a key stays first-in
 * first-out because its items are tried in order and refused alike.
 *
 * A waiter is retried when the wait the admission asked for has passed, or when the admission
 * reports a change; one timer serves the whole stage. It is set on the run's base clock, not on
 * the timer wheel, so a rate faster than the wheel's tick is kept. An item that waited longer
 * than `maxWaitMs` — counted from when it was queued for the stage, where known — is handed to
 * `expire` (the stage's error policy then applies), whether it is at the front or not.
 */
export class AdmissionGate<W extends Waiter> {
  readonly #admission: Admission;
  readonly #clock: Clock;
  readonly #maxWaitMs: number;
  readonly #wake: () => void;
  readonly #onWait: ((w: W, waitMs: number, now: number) => void) | undefined;
  #waiting: Entry<W>[] = [];
  /** Waiters whose last refusal holds every item. */
  #holding = 0;
  /** Waiters whose last refusal holds only their key (the rest of the waiters). */
  #keyed = 0;
  /** Admission changes seen (each makes every waiter worth retrying). */
  #epoch = 0;
  #closed = false;
  readonly #unsubscribe: () => void;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  /** Items that had to wait at least once. */
  waits = 0;
  /** Retry-After penalties passed to the admission. */
  penalties = 0;

  /**
   * @param onWait called when an item first has to wait, with the wait asked for and the time;
   *   {@link AdmissionGate.refusal} explains it, when the caller wants to know
   */
  constructor(
    admission: Admission,
    clock: Clock,
    maxWaitMs: number,
    wake: () => void,
    onWait?: (w: W, waitMs: number, now: number) => void,
  ) {
    this.#admission = admission;
    this.#clock = baseClock(clock);
    this.#maxWaitMs = maxWaitMs;
    this.#wake = wake;
    this.#onWait = onWait;
    this.#unsubscribe = admission.onChange(() => {
      this.#epoch++;
      if (this.#waiting.length > 0) wake();
    });
  }

  /** Items waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Waiters held only by their key's limit or Retry-After. A stage does not count them against
   * its concurrency (they hold no work), so other keys keep running beside them.
   */
  get keyedWaiting(): number {
    return this.#keyed;
  }

  /** Why `item` is not admitted at `now` (an error object, made on demand), if the admission says. */
  refusal(item: unknown, now: number): WeirError | undefined {
    return this.#admission.refusal?.(item, now);
  }

  /** True when a waiter's refusal holds every item: new items must queue behind it. */
  get blocked(): boolean {
    return this.#holding > 0;
  }

  /**
   * Tries to admit `w` at `now`. True: admitted (release it later). False: it waits here (at the
   * back, or at the front when `first`, as a retry of an item already in progress). `queuedAt` is
   * when the item was queued for the stage, where known (`maxWaitMs` counts from it).
   */
  admit(w: W, now: number, first = false, queuedAt = now): boolean {
    const admission = this.#admission;
    const wait = admission.tryAcquire(w.item, now);
    if (wait === 0) return true;
    const keyed = admission.keyedRefusal?.(w.item, now) === true;
    if (w.waitingSince < 0) {
      w.waitingSince = queuedAt >= 0 && queuedAt < now ? queuedAt : now;
      this.waits++;
      this.#onWait?.(w, wait, now);
    }
    const behind = !first && this.#holding > 0;
    const entry: Entry<W> = { w, retryAt: now + wait, epoch: this.#epoch, keyed };
    if (first) this.#waiting.unshift(entry);
    else this.#waiting.push(entry);
    if (keyed) this.#keyed++;
    else this.#holding++;
    const deadline = w.waitingSince + this.#maxWaitMs;
    if (deadline - now <= SLACK_MS)
      this.#wake(); // overdue already (it was queued long ago): the next drain expires it
    else this.#arm(Math.min(behind ? Infinity : entry.retryAt, deadline), now, false);
    return false;
  }

  /**
   * Goes through the waiters in order while `room()` says items may start: retries each one that
   * is due and not held by an earlier waiter (one held by its key alone only while `slotFree()`), `start`s those
   * admitted, `expire`s every one past `maxWaitMs`, and sets the timer for the next one due.
   */
  drain(
    now: number,
    room: () => boolean,
    start: (w: W) => void,
    expire: (w: W, error: unknown) => void,
    slotFree: () => boolean = () => true,
  ): void {
    const admission = this.#admission;
    const list = this.#waiting;
    const expires = Number.isFinite(this.#maxWaitMs);
    let kept = 0;
    let held = false; // a kept waiter holds everything behind it
    let next = Infinity;
    let i = 0;
    for (; i < list.length && room(); i++) {
      // Behind a holder nothing can start; with no maxWaitMs nothing can expire either.
      if (held && !expires) break;
      const e = list[i]!;
      const w = e.w;
      // a waiter held by its key alone holds no slot: it starts only into a free one
      const due = e.retryAt - now <= SLACK_MS || e.epoch !== this.#epoch;
      // due, but every slot is taken: the stage drains again when one frees, not on a timer
      const waitsForSlot = due && e.keyed && !slotFree();
      if (!held && due && !waitsForSlot) {
        const wait = admission.tryAcquire(w.item, now);
        if (wait === 0) {
          this.#forget(e);
          start(w);
          if (this.#closed) return;
          continue;
        }
        const keyed = admission.keyedRefusal?.(w.item, now) === true;
        if (keyed !== e.keyed) {
          this.#holding += keyed ? -1 : 1;
          this.#keyed += keyed ? 1 : -1;
        }
        e.keyed = keyed;
        e.retryAt = now + wait;
        e.epoch = this.#epoch;
      }
      const deadline = w.waitingSince + this.#maxWaitMs;
      if (deadline - now <= SLACK_MS) {
        this.#forget(e);
        expire(w, admission.refusal?.(w.item, now));
        if (this.#closed) return;
        continue;
      }
      // A waiter held by an earlier one is retried only once that one is gone, and one waiting for
      // a slot once a slot frees: only its deadline counts. (Arming the timer for a due waiter that
      // cannot start re-fired it every SLACK_MS until a slot freed: millions of wake-ups.)
      if (!held && !waitsForSlot && e.retryAt < next) next = e.retryAt;
      if (deadline < next) next = deadline;
      if (!e.keyed) held = true;
      list[kept++] = e;
    }
    // The rest stay as they are (no room, or held with no deadline), until the stage pumps again.
    if (kept < i) {
      for (; i < list.length; i++) list[kept++] = list[i]!;
      list.length = kept;
    }
    this.#arm(next, now, true);
  }

  /** The attempt of an admitted item ended. */
  release(item: unknown, outcome: AdmissionOutcome, now: number): void {
    this.#admission.release(item, outcome, now);
  }

  /** The item's attempt reported Retry-After `ms`: passed on (and counted) when the admission takes penalties. */
  penalize(item: unknown, ms: number, now: number): void {
    if (this.#admission.penalize === undefined || !(ms > 0)) return;
    this.penalties++;
    this.#admission.penalize(item, ms, now);
  }

  /** Stops listening, cancels the timer and forgets the waiters. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#waiting = [];
    this.#holding = 0;
    this.#keyed = 0;
  }

  /** A waiter leaves the gate (started or expired). */
  #forget(e: Entry<W>): void {
    if (e.keyed) this.#keyed--;
    else this.#holding--;
  }

  /**
   * One timer for the stage, for clock time `at`. `exact`: `at` is the next time anything is due
   * (a drain computed it), so a later timer is replaced; otherwise the timer only moves earlier.
   */
  #arm(at: number, now: number, exact: boolean): void {
    if (exact ? at === this.#timerAt : at >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (!Number.isFinite(at)) return;
    this.#timer = this.#clock.setTimer(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.#wake();
      },
      Math.max(SLACK_MS, at - now),
    );
  }
}
