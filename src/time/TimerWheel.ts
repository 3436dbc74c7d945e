import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject, positiveInt, positiveNumber } from "../options/validate.js";
import { clockOption } from "./clockOption.js";
import { systemClock, type Clock, type TimerHandle } from "./Clock.js";

/**
 * Options of {@link TimerWheel}.
 *
 * @example
 * ```ts
 * new TimerWheel({ resolutionMs: 10, slots: 2048 }) // on the system clock; a 20 s rotation
 * ```
 */
export interface TimerWheelOptions {
  /** The clock the wheel reads and sets its one timer on. @default systemClock */
  readonly clock?: Clock;
  /** Tick length in ms: timers fire up to this late, never early. @default 10 */
  readonly resolutionMs?: number;
  /** Slots on the wheel (a power of two); one rotation spans `slots × resolutionMs`. @default 2048 */
  readonly slots?: number;
}

/** Timer wheel defaults. */
export const timerWheelDefaults = Object.freeze({ resolutionMs: 10, slots: 2048 });

/** A pending timer: a node of its slot's doubly linked list, and its own handle. */
class WheelTimer implements TimerHandle {
  next: WheelTimer | null = null;
  prev: WheelTimer | null = null;
  /** Slot index while linked, -1 once unlinked (fired, cancelled, or detached for firing). */
  slot = -1;
  /** Null once cancelled. */
  callback: (() => void) | null;
  readonly tick: number;
  readonly #slots: SlotLists;

  constructor(slots: SlotLists, tick: number, callback: () => void) {
    this.#slots = slots;
    this.tick = tick;
    this.callback = callback;
  }

  cancel(): void {
    this.callback = null;
    if (this.slot >= 0) this.#slots.unlink(this);
  }
}

/** The wheel's slots: a doubly linked list each, O(1) link and unlink. */
class SlotLists {
  readonly heads: (WheelTimer | null)[];
  /** Timers linked in any slot. */
  size = 0;

  constructor(n: number) {
    this.heads = new Array<WheelTimer | null>(n).fill(null);
  }

  link(t: WheelTimer, slot: number): void {
    const head = this.heads[slot] ?? null;
    t.slot = slot;
    t.next = head;
    t.prev = null;
    if (head !== null) head.prev = t;
    this.heads[slot] = t;
    this.size++;
  }

  unlink(t: WheelTimer): void {
    if (t.prev !== null) t.prev.next = t.next;
    else this.heads[t.slot] = t.next;
    if (t.next !== null) t.next.prev = t.prev;
    t.next = null;
    t.prev = null;
    t.slot = -1;
    this.size--;
  }
}

/**
 * A coarse hashed timer wheel implementing {@link Clock} on top of a base clock: any number of
 * pending timers cost one base timer (unref'd on the system clock) and one small object each;
 * `setTimer` and `cancel` are O(1). Time is cut into ticks of `resolutionMs`; a timer fires on
 * the first tick at or after its due time, so never early and at most one tick late (plus the
 * base timer's own lateness). The base timer sleeps until the next slot holding a due timer, so
 * an idle or sparse wheel does not wake every tick.
 *
 * Use it for per-item timeouts, retry backoffs and batch windows: a million timeouts that are
 * mostly cancelled cost a million list links, not a million `setTimeout`s.
 *
 * @example
 * ```ts
 * const timers = new TimerWheel();
 * const h = timers.setTimer(() => controller.abort(), 5_000);
 * h.cancel();
 * ```
 */
export class TimerWheel implements Clock {
  readonly resolutionMs: number;
  readonly #base: Clock;
  readonly #origin: number;
  readonly #mask: number;
  readonly #lists: SlotLists;
  /** Last tick processed: every timer with `tick <= #tick` has fired. */
  #tick = 0;
  #baseTimer: TimerHandle | undefined;
  /** Tick the base timer is set for, or Infinity when none. */
  #armedTick = Infinity;

  constructor(options: TimerWheelOptions = {}) {
    const where = "TimerWheel";
    const o = plainObject(options, "options", where);
    knownKeys(o, ["clock", "resolutionMs", "slots"], "", where);
    this.#base = optional(o.clock, systemClock, (v) => clockOption(v, where));
    this.resolutionMs = optional(o.resolutionMs, timerWheelDefaults.resolutionMs, (v) =>
      positiveNumber(v, "resolutionMs", where),
    );
    const slots = optional(o.slots, timerWheelDefaults.slots, (v) => positiveInt(v, "slots", where));
    if ((slots & (slots - 1)) !== 0 || slots > 2 ** 20)
      throw new InvalidOptionError("slots", "a power of two up to 2^20", slots, where);
    this.#mask = slots - 1;
    this.#lists = new SlotLists(slots);
    this.#origin = this.#base.now();
  }

  /**
   * The clock under the wheel. For the few timers that need precision more than numbers (one
   * admission timer per stage, a breaker's half-open timer), which must not be rounded up to a tick.
   */
  get base(): Clock {
    return this.#base;
  }

  /** Pending timers (not fired, not cancelled). */
  get size(): number {
    return this.#lists.size;
  }

  now(): number {
    return this.#base.now();
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const due = this.#base.now() + (ms > 0 ? ms : 0);
    let tick = Math.ceil((due - this.#origin) / this.resolutionMs);
    if (tick <= this.#tick) tick = this.#tick + 1;
    const timer = new WheelTimer(this.#lists, tick, callback);
    this.#lists.link(timer, tick & this.#mask);
    if (tick < this.#armedTick) this.#arm(tick);
    return timer;
  }

  /** Sets the one base timer for `tick`. */
  #arm(tick: number): void {
    this.#baseTimer?.cancel();
    this.#armedTick = tick;
    const ms = this.#origin + tick * this.resolutionMs - this.#base.now();
    this.#baseTimer = this.#base.setTimer(this.#onBase, ms > 0 ? ms : 0);
  }

  readonly #onBase = (): void => {
    this.#baseTimer = undefined;
    this.#armedTick = Infinity;
    const target = Math.floor((this.#base.now() - this.#origin) / this.resolutionMs);
    if (target > this.#tick) this.#advance(target);
    this.#armNext();
  };

  /** Fires every timer with `tick <= target`, slot by slot in tick order. */
  #advance(target: number): void {
    const from = this.#tick;
    // Timers set by callbacks below land on tick > target: they never fire in this pass.
    this.#tick = target;
    const steps = Math.min(target - from, this.#mask + 1);
    const heads = this.#lists.heads;
    for (let k = 1; k <= steps; k++) {
      const slot = (from + k) & this.#mask;
      // Detach the due timers first (linked through `next`), then fire: a callback may cancel or
      // set timers, and must not disturb the walk.
      let due: WheelTimer | null = null;
      let last: WheelTimer | null = null;
      for (let t: WheelTimer | null = heads[slot] ?? null; t !== null;) {
        const next: WheelTimer | null = t.next;
        if (t.tick <= target) {
          this.#lists.unlink(t);
          if (last === null) due = t;
          else last.next = t;
          last = t;
        }
        t = next;
      }
      // Linked newest first: reverse for first-set, first-fired among equal ticks.
      due = reverse(due);
      while (due !== null) {
        const t: WheelTimer = due;
        due = t.next;
        t.next = null;
        const cb = t.callback;
        if (cb !== null) {
          t.callback = null;
          try {
            cb();
          } catch (error) {
            process.emitWarning(`weir: a timer callback failed: ${String(error)}`);
          }
        }
      }
    }
  }

  /** Sets the base timer for the next slot holding a due timer (or the earliest timer at all). */
  #armNext(): void {
    if (this.#lists.size === 0) return;
    const heads = this.#lists.heads;
    const slots = this.#mask + 1;
    let earliest = Infinity;
    for (let k = 1; k <= slots; k++) {
      const tick = this.#tick + k;
      for (let t: WheelTimer | null = heads[tick & this.#mask] ?? null; t !== null; t = t.next) {
        if (t.tick === tick) {
          this.#arm(tick);
          return;
        }
        if (t.tick < earliest) earliest = t.tick;
      }
    }
    if (earliest !== Infinity) this.#arm(earliest);
  }
}

function reverse(list: WheelTimer | null): WheelTimer | null {
  let prev: WheelTimer | null = null;
  while (list !== null) {
    const next = list.next;
    list.next = prev;
    prev = list;
    list = next;
  }
  return prev;
}
