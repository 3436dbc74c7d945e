import { CircuitOpenError } from "../errors/CircuitOpenError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { EventBus, type EventHandler } from "../events/EventBus.js";
import {
  func,
  knownKeys,
  nonEmptyString,
  nonNegativeInt,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
  ratio,
} from "../options/validate.js";
import type { Clock, TimerHandle } from "../time/Clock.js";
import type { Admission, AdmissionOutcome } from "./Admission.js";
import { ChangeListeners } from "./ChangeListeners.js";
import { clockOption } from "../time/clockOption.js";
import { OutcomeWindow } from "./OutcomeWindow.js";
import { PolicyClock } from "./PolicyClock.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * A breaker's state: `closed` (admits), `open` (refuses until `halfOpenAfterMs` passed),
 * `half-open` (admits `halfOpenProbes` probes; one success closes it, one failure reopens it),
 * `isolated` (opened by hand with {@link CircuitBreaker.isolate}; refuses until {@link CircuitBreaker.reset}).
 */
export type CircuitState = "closed" | "open" | "half-open" | "isolated";

/** The serialized form of a breaker ({@link CircuitBreaker.toJSON}), for `initialState`. */
export interface CircuitBreakerSnapshot {
  readonly state: CircuitState;
  /** Failures in a row (closed state). */
  readonly consecutiveFailures: number;
  /** For `open`: ms left until half-open, measured when the snapshot was taken. */
  readonly halfOpenInMs?: number;
}

/**
 * Options of {@link circuitBreaker}. It opens on `consecutiveFailures` failures in a row, or when
 * at least `minimumRequests` outcomes in the last `windowMs` have a failure share of at least
 * `failureRatio`, whichever comes first.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({ name: "payments", consecutiveFailures: 5, halfOpenAfterMs: 30_000,
 *                                  isFailure: (e) => !(e instanceof ValidationError) });
 * ```
 */
export interface CircuitBreakerOptions {
  /** Name in stats, events and errors. @default "circuit-breaker" */
  readonly name?: string;
  /** Open after this many failures in a row; 0 turns this trigger off. @default 5 */
  readonly consecutiveFailures?: number;
  /** Open when this share of the window's outcomes failed (0 < r ≤ 1); 0 turns this trigger off. @default 0.5 */
  readonly failureRatio?: number;
  /** The sliding window of the ratio trigger, in ms. @default 10000 */
  readonly windowMs?: number;
  /** Outcomes needed in the window before the ratio can open the breaker. @default 20 */
  readonly minimumRequests?: number;
  /** How long it stays open before letting probes through, in ms. @default 10000 */
  readonly halfOpenAfterMs?: number;
  /** Attempts let through at once while half-open. @default 1 */
  readonly halfOpenProbes?: number;
  /** Which errors count as failures (others count as successes). @default every error */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * The clock `now` comes from; drives the half-open notification. @default systemClock, or the
   * clock of the first run that uses the breaker in a stage (see {@link CircuitBreaker.bindClock})
   */
  readonly clock?: Clock;
  /** State to start from, e.g. a saved {@link CircuitBreaker.toJSON}. @default closed */
  readonly initialState?: CircuitBreakerSnapshot;
}

/** Circuit breaker defaults. */
export const circuitBreakerDefaults = Object.freeze({
  name: "circuit-breaker",
  consecutiveFailures: 5,
  failureRatio: 0.5,
  windowMs: 10_000,
  minimumRequests: 20,
  halfOpenAfterMs: 10_000,
  halfOpenProbes: 1,
});

/** Why a breaker changed state. */
export type CircuitReason =
  "consecutive-failures" | "failure-ratio" | "half-open" | "probe-succeeded" | "probe-failed" | "isolated" | "reset";

/** Events of a {@link CircuitBreaker}. */
export interface CircuitBreakerEvents {
  /** The state changed. */
  state: {
    readonly breaker: string;
    readonly from: CircuitState;
    readonly to: CircuitState;
    readonly reason: CircuitReason;
  };
}

/** A snapshot of a {@link CircuitBreaker}'s counters. */
export interface CircuitBreakerStats {
  readonly name: string;
  readonly state: CircuitState;
  readonly successes: number;
  readonly failures: number;
  /** Refusals while open, isolated, or half-open with every probe taken. */
  readonly rejections: number;
  /** Times it opened. */
  readonly opens: number;
  readonly consecutiveFailures: number;
}

const knownOptions = optionKeys<CircuitBreakerOptions>()(
  "name",
  "consecutiveFailures",
  "failureRatio",
  "windowMs",
  "minimumRequests",
  "halfOpenAfterMs",
  "halfOpenProbes",
  "isFailure",
  "clock",
  "initialState",
);
const states: readonly CircuitState[] = ["closed", "open", "half-open", "isolated"];

/**
 * A circuit breaker as an {@link Admission}. While open, `tryAcquire` returns the ms until
 * half-open (the caller holds the item, up to its `maxWaitMs`, then fails it with
 * {@link CircuitBreaker.refusal}, a `CircuitOpenError`); when half-open it admits probes and
 * returns `Infinity` to the rest, who are woken by `onChange` when the probe settles. Only a probe's
 * release settles it: an attempt that started before it opened (told apart by `now - latencyMs`)
 * does not, even with an item equal to a probe's. Share one breaker between stages to protect one
 * dependency; save `toJSON()` to restore it after a restart.
 */
export class CircuitBreaker<I = unknown> implements Admission<I> {
  readonly name: string;
  readonly #o: Required<Omit<CircuitBreakerOptions, "name" | "initialState" | "isFailure" | "clock">> & {
    isFailure: ((e: unknown) => boolean) | undefined;
  };
  readonly #time: PolicyClock;
  readonly #window: OutcomeWindow;
  readonly #listeners = new ChangeListeners();
  readonly #events = new EventBus<CircuitBreakerEvents>();
  #state: CircuitState = "closed";
  #openedAt = 0;
  #consecutive = 0;
  /** Items admitted as half-open probes, with multiplicity. Bounded by `halfOpenProbes`. */
  readonly #probes = new Map<I, number>();
  #probeCount = 0;
  /**
   * While half-open: a release whose attempt started before this time is not a probe's, even when
   * its item equals a probe's (see `#takeProbe`).
   */
  #staleBefore = 0;
  /** An item was refused for want of a probe slot since the last state change or wake-up. */
  #probeWaiters = false;
  #timer: TimerHandle | undefined;
  #successes = 0;
  #failures = 0;
  #rejections = 0;
  #opens = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    const o = plainObject(options, "options", "circuitBreaker");
    const where = `circuitBreaker "${typeof o.name === "string" ? o.name : circuitBreakerDefaults.name}"`;
    knownKeys(o, knownOptions, "", where);
    const d = circuitBreakerDefaults;
    this.name = optional(o.name, d.name, (v) => nonEmptyString(v, "name", where));
    this.#o = {
      consecutiveFailures: optional(o.consecutiveFailures, d.consecutiveFailures, (v) =>
        nonNegativeInt(v, "consecutiveFailures", where),
      ),
      failureRatio: optional(o.failureRatio, d.failureRatio, (v) => ratio(v, "failureRatio", where)),
      windowMs: optional(o.windowMs, d.windowMs, (v) => positiveNumber(v, "windowMs", where)),
      minimumRequests: optional(o.minimumRequests, d.minimumRequests, (v) => positiveInt(v, "minimumRequests", where)),
      halfOpenAfterMs: optional(o.halfOpenAfterMs, d.halfOpenAfterMs, (v) =>
        positiveNumber(v, "halfOpenAfterMs", where),
      ),
      halfOpenProbes: optional(o.halfOpenProbes, d.halfOpenProbes, (v) => positiveInt(v, "halfOpenProbes", where)),
      isFailure: optional(o.isFailure, undefined, (v) => func<(e: unknown) => boolean>(v, "isFailure", where)),
    };
    this.#time = new PolicyClock(optional<Clock | undefined>(o.clock, undefined, (v) => clockOption(v, where)));
    if (this.#o.consecutiveFailures === 0 && this.#o.failureRatio === 0) {
      throw new InvalidOptionError(
        "consecutiveFailures",
        "a trigger: consecutiveFailures or failureRatio above 0",
        0,
        where,
      );
    }
    this.#window = new OutcomeWindow(this.#o.windowMs);
    if (o.initialState !== undefined) this.#restore(o.initialState, where);
  }

  /** The current state (an open breaker whose time is up reads `half-open`). */
  get state(): CircuitState {
    this.#due(this.#time.clock.now());
    return this.#state;
  }

  tryAcquire(item: I, now: number): number {
    if (this.#state === "closed") return 0;
    this.#due(now);
    if (this.#state === "open") {
      this.#rejections++;
      return this.#openedAt + this.#o.halfOpenAfterMs - now;
    }
    if (this.#state === "half-open" && this.#probeCount < this.#o.halfOpenProbes) {
      this.#probeCount++;
      this.#probes.set(item, (this.#probes.get(item) ?? 0) + 1);
      return 0;
    }
    this.#rejections++;
    if (this.#state === "half-open") this.#probeWaiters = true;
    return Infinity;
  }

  release(item: I, outcome: AdmissionOutcome, now: number): void {
    const probe = this.#takeProbe(item, now - outcome.latencyMs);
    if (outcome.neutral === true || outcome.cancelled === true) {
      // Nothing to record; but a probe given back frees a slot that others may have been refused
      // for. (A neutral rollback in the same turn as its acquisition refused nobody: no wake-up.)
      if (probe && this.#state === "half-open" && (this.#probeWaiters || outcome.cancelled === true)) {
        this.#probeWaiters = false;
        this.#listeners.notify();
      }
      return;
    }
    const failed = !outcome.ok && (this.#o.isFailure === undefined || this.#o.isFailure(outcome.error));
    if (failed) this.#failures++;
    else this.#successes++;
    if (probe) {
      if (failed) this.#open(now, "probe-failed");
      else this.#close("probe-succeeded");
      return;
    }
    // Results of attempts admitted before the breaker opened do not move an open (or half-open)
    // breaker, even when their item equals a probe's.
    if (this.#state !== "closed") return;
    this.#window.record(!failed, now);
    if (!failed) {
      this.#consecutive = 0;
      return;
    }
    this.#consecutive++;
    const o = this.#o;
    if (o.consecutiveFailures > 0 && this.#consecutive >= o.consecutiveFailures) {
      this.#open(now, "consecutive-failures");
      return;
    }
    if (o.failureRatio > 0) {
      const { total, failures } = this.#window.counts(now);
      if (total >= o.minimumRequests && failures / total >= o.failureRatio) this.#open(now, "failure-ratio");
    }
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  refusal(_item: I, now: number): CircuitOpenError {
    this.#due(now);
    const wait = this.#state === "open" ? Math.max(0, this.#openedAt + this.#o.halfOpenAfterMs - now) : 0;
    return new CircuitOpenError(this.name, wait);
  }

  /**
   * Follows a run's clock (a stage calls this when the run starts): a breaker created without a
   * `clock` adopts it — an open breaker keeps the time it has left — and one whose clock is on
   * another time base throws an `InvalidOptionError`.
   */
  bindClock(clock: Clock): void {
    const previous = this.#time.bind(clock, `circuitBreaker "${this.name}"`);
    if (previous === undefined) return;
    // Move the times kept on the old clock to the new one, as toJSON/initialState would.
    const shift = this.#time.clock.now() - previous.now();
    this.#openedAt += shift;
    this.#staleBefore += shift;
    this.#window.clear();
    if (this.#timer !== undefined) this.#scheduleHalfOpen();
  }

  /** Opens the breaker by hand until {@link CircuitBreaker.reset}. */
  isolate(): void {
    this.#cancelTimer();
    this.#set("isolated", "isolated");
  }

  /** Closes the breaker and forgets its history; wakes waiters. */
  reset(): void {
    this.#close("reset");
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof CircuitBreakerEvents>(type: K, handler: EventHandler<CircuitBreakerEvents[K]>): () => void {
    return this.#events.on(type, handler);
  }

  /** A frozen snapshot of the counters. */
  stats(): CircuitBreakerStats {
    return Object.freeze({
      name: this.name,
      state: this.state,
      successes: this.#successes,
      failures: this.#failures,
      rejections: this.#rejections,
      opens: this.#opens,
      consecutiveFailures: this.#consecutive,
    });
  }

  /** The state to save and pass back as `initialState` (times are relative, so it survives a restart). */
  toJSON(): CircuitBreakerSnapshot {
    const state = this.state;
    const now = this.#time.clock.now();
    if (state === "open") {
      return {
        state,
        consecutiveFailures: this.#consecutive,
        halfOpenInMs: Math.max(0, this.#openedAt + this.#o.halfOpenAfterMs - now),
      };
    }
    return { state, consecutiveFailures: this.#consecutive };
  }

  /** Moves an open breaker whose time is up to half-open. */
  #due(now: number): void {
    if (this.#state === "open" && now >= this.#openedAt + this.#o.halfOpenAfterMs) {
      this.#cancelTimer();
      this.#staleBefore = (this.#openedAt + now) / 2;
      this.#set("half-open", "half-open");
      this.#listeners.notify();
    }
  }

  #open(now: number, reason: CircuitReason): void {
    this.#openedAt = now;
    this.#opens++;
    this.#window.clear();
    this.#set("open", reason);
    this.#scheduleHalfOpen();
  }

  #close(reason: CircuitReason): void {
    this.#cancelTimer();
    this.#consecutive = 0;
    this.#window.clear();
    this.#set("closed", reason);
    this.#listeners.notify();
  }

  #set(to: CircuitState, reason: CircuitReason): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#probeWaiters = false;
    if (to !== "half-open") {
      this.#probes.clear();
      this.#probeCount = 0;
    }
    this.#events.emit("state", { breaker: this.name, from, to, reason });
  }

  /** Sets the timer that moves the breaker to half-open (and wakes waiters) when its time is up. */
  #scheduleHalfOpen(): void {
    this.#cancelTimer();
    const at = this.#openedAt + this.#o.halfOpenAfterMs;
    // `now` given to tryAcquire/release and the clock are the same scale; measure from the clock.
    this.#timer = this.#time.clock.setTimer(() => {
      this.#timer = undefined;
      this.#due(Math.max(this.#time.clock.now(), at));
    }, at - this.#time.clock.now());
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * Takes back the probe `item` holds, if the attempt that started at `startedAt` is a probe. An
   * attempt admitted before the breaker opened (broadcast to two stages sharing the breaker, or an
   * equal primitive) may carry an item equal to a probe's and end while half-open: it started at or
   * before `#openedAt`, while a probe started at or after the half-open transition, at least
   * `halfOpenAfterMs` later. The boundary sits halfway between the two, so that a probe whose
   * latency is measured a little long (or rounded: `now - (now - t)` can come out below `t`) is
   * still recognised; one that was not would keep its slot for good.
   */
  #takeProbe(item: I, startedAt: number): boolean {
    if (this.#probeCount === 0 || startedAt < this.#staleBefore) return false;
    const n = this.#probes.get(item);
    if (n === undefined) return false;
    if (n === 1) this.#probes.delete(item);
    else this.#probes.set(item, n - 1);
    this.#probeCount--;
    return true;
  }

  #restore(value: unknown, where: string): void {
    const s = plainObject(value, "initialState", where);
    knownKeys(
      s,
      optionKeys<CircuitBreakerSnapshot>()("state", "consecutiveFailures", "halfOpenInMs"),
      "initialState",
      where,
    );
    if (!states.includes(s.state as CircuitState)) {
      throw new InvalidOptionError(
        "initialState.state",
        `one of ${states.map((x) => `"${x}"`).join(", ")}`,
        s.state,
        where,
      );
    }
    this.#consecutive = optional(s.consecutiveFailures, 0, (v) =>
      nonNegativeInt(v, "initialState.consecutiveFailures", where),
    );
    const state = s.state as CircuitState;
    if (state === "open") {
      const left = optional(s.halfOpenInMs, this.#o.halfOpenAfterMs, (v) =>
        nonNegativeNumberAtMost(v, this.#o.halfOpenAfterMs, where),
      );
      this.#state = "open";
      this.#openedAt = this.#time.clock.now() - (this.#o.halfOpenAfterMs - left);
      this.#scheduleHalfOpen();
    } else {
      this.#state = state;
      // A restored half-open breaker has no attempts from before it opened in flight.
      if (state === "half-open") this.#staleBefore = -Infinity;
    }
  }
}

function nonNegativeNumberAtMost(value: unknown, max: number, where: string): number {
  if (typeof value !== "number" || !(value >= 0))
    throw new InvalidOptionError("initialState.halfOpenInMs", "a non-negative number", value, where);
  return Math.min(value, max);
}

/**
 * Creates a {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({ name: "search-api", halfOpenAfterMs: 5_000, initialState: saved });
 * breaker.on("state", (e) => log(`${e.breaker}: ${e.from} -> ${e.to} (${e.reason})`));
 * ```
 */
export function circuitBreaker<I = unknown>(options: CircuitBreakerOptions = {}): CircuitBreaker<I> {
  return new CircuitBreaker<I>(options);
}
