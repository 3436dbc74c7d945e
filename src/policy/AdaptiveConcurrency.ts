import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { EventBus, type EventHandler } from "../events/EventBus.js";
import {
  func,
  knownKeys,
  nonEmptyString,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
  ratio,
} from "../options/validate.js";
import type { Admission, AdmissionOutcome } from "./Admission.js";
import { ChangeListeners } from "./ChangeListeners.js";
import { isOverload } from "./isOverload.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link adaptiveConcurrency}.
 *
 * @example
 * ```ts
 * adaptiveConcurrency({ min: 1, max: 128, targetLatencyMs: 250 })
 * ```
 */
export interface AdaptiveConcurrencyOptions {
  /** Name in stats and events. @default "adaptive" */
  readonly name?: string;
  /** Lowest limit. @default 1 */
  readonly min?: number;
  /** Highest limit. @default 256 */
  readonly max?: number;
  /** Limit to start from. @default 4, within min..max */
  readonly initial?: number;
  /**
   * Latency (at `quantile`) not to exceed, in ms. @default `tolerance` × the lowest window
   * latency seen (the latency without queueing)
   */
  readonly targetLatencyMs?: number;
  /** With no `targetLatencyMs`: how much slower than unloaded counts as overloaded. @default 2 */
  readonly tolerance?: number;
  /** Which latency quantile of a window is compared with the target. @default 0.9 */
  readonly quantile?: number;
  /**
   * Share of the target kept free: the limit grows only while latency is below
   * `target × (1 − headroom)`, holds between that and the target, and shrinks above it, so it
   * settles inside the band instead of probing past the target. @default 0.1
   */
  readonly headroom?: number;
  /** Added to the limit after a window that used the whole limit below the headroom band. @default 1 */
  readonly increase?: number;
  /**
   * The limit is multiplied by this after a window with overload errors, or over the target (by
   * `target / latency` instead when that is smaller, never by less than 0.5). @default 0.8
   */
  readonly decrease?: number;
  /** Share of overload errors in a window above which the limit decreases. @default 0 (any) */
  readonly overloadRatio?: number;
  /** Which errors mean overload (429, 503, timeouts...). @default {@link isOverload} */
  readonly isOverload?: (error: unknown) => boolean;
  /** Fewest samples per decision window (a window is at least the current limit). @default 8 */
  readonly minWindow?: number;
  /**
   * Event-loop delay not to exceed, in ms: a window that ends with the loop delay above it
   * shrinks the limit (reason `"loop-delay"`, by `decrease` or in proportion to the overshoot,
   * never by less than 0.5), and the limit grows only while the delay is below
   * `maxLoopDelayMs × (1 − headroom)`. Off unless given: a loop's delay is also the length of
   * the longest synchronous piece of work on it, so a stage whose items each block for 200 ms
   * has 200 ms of delay at any concurrency, and no threshold fits every stage.
   * @default none (loop delay is not read)
   * @example `{ maxLoopDelayMs: 50 }`
   */
  readonly maxLoopDelayMs?: number;
  /**
   * Reads the delay, in ms, of the event loop the admitted work runs on; read once per decision
   * window, with `maxLoopDelayMs`. A throw, or anything but a non-negative number, reads as
   * unknown (no loop-delay decision that window).
   * @default in a stage's `concurrency: { adaptive: true, ... }`, the stage's own loop: the main
   * thread's for async stages, the mean over the pool's workers for worker and process stages
   * (the stage stats' `loopDelayMs`); standalone, required with `maxLoopDelayMs`
   * @example `{ maxLoopDelayMs: 50, loopDelay: () => histogram.mean / 1e6 }`
   */
  readonly loopDelay?: () => number;
}

/** What the host of an adaptive limit (a stage) supplies when the options leave it out. */
export interface AdaptiveConcurrencyHost {
  /** The delay of the loop the host's work runs on, in ms (the default `loopDelay`). */
  readonly loopDelay?: () => number;
}

/** Adaptive concurrency defaults. */
export const adaptiveConcurrencyDefaults = Object.freeze({
  name: "adaptive",
  min: 1,
  max: 256,
  initial: 4,
  tolerance: 2,
  quantile: 0.9,
  headroom: 0.1,
  increase: 1,
  decrease: 0.8,
  overloadRatio: 0,
  minWindow: 8,
});

/** Why the limit changed. */
export type AdaptiveReason = "increase" | "latency" | "overload" | "loop-delay" | "retry-after";

/** Events of an {@link AdaptiveConcurrency}. */
export interface AdaptiveConcurrencyEvents {
  /**
   * The limit changed. `latencyMs` is the window's latency at the quantile; `loopDelayMs` the
   * loop delay read for the window (undefined when loop delay is not an input, or unknown).
   */
  limit: {
    readonly name: string;
    readonly previous: number;
    readonly limit: number;
    readonly reason: AdaptiveReason;
    readonly latencyMs: number;
    readonly targetLatencyMs: number;
    readonly loopDelayMs: number | undefined;
  };
}

/** A snapshot of an {@link AdaptiveConcurrency}. */
export interface AdaptiveConcurrencyStats {
  readonly name: string;
  readonly limit: number;
  readonly inFlight: number;
  readonly min: number;
  readonly max: number;
  /** The target in force (given, or derived from the lowest latency seen). */
  readonly targetLatencyMs: number;
  /** Latency at the quantile in the last decision window. */
  readonly lastLatencyMs: number;
  /** The loop-delay threshold (undefined: loop delay is not an input). */
  readonly maxLoopDelayMs: number | undefined;
  /** The loop delay read at the last decision (undefined before one, or when unknown). */
  readonly lastLoopDelayMs: number | undefined;
  readonly increases: number;
  readonly decreases: number;
  readonly admitted: number;
  readonly refused: number;
}

const knownOptions = optionKeys<AdaptiveConcurrencyOptions>()(
  "name",
  "min",
  "max",
  "initial",
  "targetLatencyMs",
  "tolerance",
  "quantile",
  "headroom",
  "increase",
  "decrease",
  "overloadRatio",
  "isOverload",
  "minWindow",
  "maxLoopDelayMs",
  "loopDelay",
);

/**
 * An AIMD concurrency limit driven by latency, overload errors and (with `maxLoopDelayMs`) the
 * event-loop delay, as an {@link Admission}: it admits while `inFlight < limit` and returns
 * `Infinity` otherwise (woken on release).
 *
 * Every window of max(`minWindow`, `limit`) completed attempts it decides once: overload errors
 * above `overloadRatio`, latency at `quantile` above the target, or a loop delay above
 * `maxLoopDelayMs`, shrink the limit (by `decrease`, or in proportion to the overshoot); a window
 * that filled the limit with latency and loop delay below their headroom bands adds `increase`;
 * otherwise it holds (it never grows a limit the traffic
 * does not use, and never probes past the target on purpose). Attempts started before the last change are
 * not counted, so one decision is not taken twice on the same evidence. Under a load whose
 * latency rises with concurrency it settles just below the concurrency where latency crosses the
 * target: the best throughput the target allows.
 */
export class AdaptiveConcurrency<I = unknown> implements Admission<I> {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly #o: {
    target: number | undefined;
    tolerance: number;
    quantile: number;
    headroom: number;
    increase: number;
    decrease: number;
    overloadRatio: number;
    isOverload: (error: unknown) => boolean;
    minWindow: number;
    maxLoopDelay: number | undefined;
  };
  /** Reads the loop delay (set exactly when `maxLoopDelayMs` is). */
  readonly #loopDelay: (() => number) | undefined;
  readonly #listeners = new ChangeListeners();
  readonly #events = new EventBus<AdaptiveConcurrencyEvents>();
  /** The limit as a real number (AIMD steps are fractional); admission uses its floor, at least `min`. */
  #limit: number;
  #inFlight = 0;
  /** The limit was reached during this window (so growing it could help). */
  #saturated = false;
  /** Latencies of the current window; length bounded by max(minWindow, max). */
  #samples: Float64Array;
  #count = 0;
  #overloads = 0;
  /** Attempts started before this time are ignored (they ran under an older limit). */
  #changedAt = -Infinity;
  #lowest = Infinity;
  #lastLatency = 0;
  #lastLoopDelay: number | undefined;
  #increases = 0;
  #decreases = 0;
  #admitted = 0;
  #refused = 0;

  /**
   * @param options - validated here; an invalid one throws an `InvalidOptionError`.
   * @param host - what a stage supplies for options left out (its loop's delay).
   */
  constructor(options: AdaptiveConcurrencyOptions = {}, host: AdaptiveConcurrencyHost = {}) {
    const o = plainObject(options, "options", "adaptiveConcurrency");
    const where = `adaptiveConcurrency "${typeof o.name === "string" ? o.name : adaptiveConcurrencyDefaults.name}"`;
    knownKeys(o, knownOptions, "", where);
    const d = adaptiveConcurrencyDefaults;
    this.name = optional(o.name, d.name, (v) => nonEmptyString(v, "name", where));
    this.min = optional(o.min, d.min, (v) => positiveInt(v, "min", where));
    this.max = optional(o.max, Math.max(d.max, this.min), (v) => positiveInt(v, "max", where));
    if (this.max < this.min) throw new InvalidOptionError("max", `at least min (${this.min})`, this.max, where);
    const initial = optional(o.initial, Math.min(this.max, Math.max(this.min, d.initial)), (v) =>
      positiveInt(v, "initial", where),
    );
    if (initial < this.min || initial > this.max)
      throw new InvalidOptionError("initial", `between min (${this.min}) and max (${this.max})`, initial, where);
    this.#limit = initial;
    const decrease = optional(o.decrease, d.decrease, (v) => ratio(v, "decrease", where));
    if (decrease <= 0 || decrease >= 1)
      throw new InvalidOptionError("decrease", "a number strictly between 0 and 1", decrease, where);
    const tolerance = optional(o.tolerance, d.tolerance, (v) => positiveNumber(v, "tolerance", where));
    if (tolerance <= 1) throw new InvalidOptionError("tolerance", "a number above 1", tolerance, where);
    this.#o = {
      target: optional(o.targetLatencyMs, undefined, (v) => positiveNumber(v, "targetLatencyMs", where)),
      tolerance,
      quantile: optional(o.quantile, d.quantile, (v) => ratio(v, "quantile", where)),
      headroom: optional(o.headroom, d.headroom, (v) => ratio(v, "headroom", where)),
      increase: optional(o.increase, d.increase, (v) => positiveNumber(v, "increase", where)),
      decrease,
      overloadRatio: optional(o.overloadRatio, d.overloadRatio, (v) => ratio(v, "overloadRatio", where)),
      isOverload: optional(o.isOverload, isOverload, (v) => func<(e: unknown) => boolean>(v, "isOverload", where)),
      minWindow: optional(o.minWindow, d.minWindow, (v) => positiveInt(v, "minWindow", where)),
      maxLoopDelay: optional(o.maxLoopDelayMs, undefined, (v) => positiveNumber(v, "maxLoopDelayMs", where)),
    };
    const loopDelay = optional(o.loopDelay, undefined, (v) => func<() => number>(v, "loopDelay", where));
    if (this.#o.maxLoopDelay === undefined) {
      if (loopDelay !== undefined)
        throw new InvalidOptionError("loopDelay", "to be given with maxLoopDelayMs", "loopDelay alone", where);
      this.#loopDelay = undefined;
    } else {
      this.#loopDelay = loopDelay ?? host.loopDelay;
      if (this.#loopDelay === undefined)
        throw new InvalidOptionError(
          "loopDelay",
          "a function returning the loop delay in ms (required with maxLoopDelayMs outside a stage's concurrency option)",
          undefined,
          where,
        );
    }
    this.#samples = new Float64Array(Math.max(this.#o.minWindow, this.max));
  }

  /** The current limit: attempts admitted at once. */
  get limit(): number {
    return Math.max(this.min, Math.floor(this.#limit));
  }

  /** Attempts admitted and not yet released. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The latency target in force, in ms (Infinity until a first window when derived). */
  get targetLatencyMs(): number {
    return this.#o.target ?? this.#lowest * this.#o.tolerance;
  }

  tryAcquire(_item: I, _now: number): number {
    if (this.#inFlight >= this.limit) {
      this.#saturated = true;
      this.#refused++;
      return Infinity;
    }
    this.#inFlight++;
    this.#admitted++;
    if (this.#inFlight >= this.limit) this.#saturated = true;
    return 0;
  }

  release(_item: I, outcome: AdmissionOutcome, now: number): void {
    this.#inFlight--;
    if (outcome.neutral === true) {
      this.#admitted--;
      return;
    }
    // A cancelled attempt says nothing about the service: no sample.
    if (outcome.cancelled !== true && now - outcome.latencyMs >= this.#changedAt) {
      const n = this.#count;
      this.#samples[n] = outcome.latencyMs;
      this.#count = n + 1;
      if (!outcome.ok && this.#o.isOverload(outcome.error)) this.#overloads++;
      if (this.#count >= Math.min(this.#samples.length, Math.max(this.#o.minWindow, this.limit))) this.#decide(now);
    }
    if (this.#inFlight < this.limit) this.#listeners.notify();
  }

  /** A Retry-After is an overload signal: decrease now, unless this window already decreased. */
  penalize(_item: I, _ms: number, now: number): void {
    if (now - this.#changedAt < Math.max(this.#lastLatency, 1)) return;
    this.#change(this.#limit * this.#o.decrease, "retry-after", now, this.#lastLatency);
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof AdaptiveConcurrencyEvents>(
    type: K,
    handler: EventHandler<AdaptiveConcurrencyEvents[K]>,
  ): () => void {
    return this.#events.on(type, handler);
  }

  /** A frozen snapshot. */
  stats(): AdaptiveConcurrencyStats {
    return Object.freeze({
      name: this.name,
      limit: this.limit,
      inFlight: this.#inFlight,
      min: this.min,
      max: this.max,
      targetLatencyMs: this.targetLatencyMs,
      lastLatencyMs: this.#lastLatency,
      maxLoopDelayMs: this.#o.maxLoopDelay,
      lastLoopDelayMs: this.#lastLoopDelay,
      increases: this.#increases,
      decreases: this.#decreases,
      admitted: this.#admitted,
      refused: this.#refused,
    });
  }

  #decide(now: number): void {
    const n = this.#count;
    const window = this.#samples.subarray(0, n).slice().sort();
    const latency = window[Math.min(n - 1, Math.floor(this.#o.quantile * n))]!;
    this.#lastLatency = latency;
    if (latency < this.#lowest) this.#lowest = latency;
    const overloaded = this.#overloads / n > this.#o.overloadRatio;
    const target = this.targetLatencyMs;
    const slow = latency > target;
    const headroom = 1 - this.#o.headroom;
    const maxLoop = this.#o.maxLoopDelay;
    const loop = this.#readLoopDelay();
    this.#lastLoopDelay = loop;
    const loopBusy = maxLoop !== undefined && loop !== undefined && loop > maxLoop;
    // an unknown loop delay (a source that failed) holds the limit rather than growing it blind
    const loopRoomy = maxLoop === undefined || (loop !== undefined && loop < maxLoop * headroom);
    const roomy = latency < target * headroom && loopRoomy;
    const saturated = this.#saturated;
    this.#count = 0;
    this.#overloads = 0;
    this.#saturated = this.#inFlight >= this.limit;
    if (overloaded) this.#change(this.#limit * this.#o.decrease, "overload", now, latency);
    else if (slow) this.#change(this.#limit * this.#shrink(target / latency), "latency", now, latency);
    else if (loopBusy) this.#change(this.#limit * this.#shrink(maxLoop / loop), "loop-delay", now, latency);
    else if (saturated && roomy) this.#change(this.#limit + this.#o.increase, "increase", now, latency);
  }

  /** The factor for an overshoot of `ratio` (target / measured): `decrease`, or less, never below 0.5. */
  #shrink(ratio: number): number {
    return Math.max(0.5, Math.min(this.#o.decrease, ratio));
  }

  /** The loop delay now, when it is an input; undefined when it is not, or the source failed. */
  #readLoopDelay(): number | undefined {
    const read = this.#loopDelay;
    if (read === undefined) return undefined;
    try {
      const ms = read();
      return typeof ms === "number" && ms >= 0 && ms !== Infinity ? ms : undefined;
    } catch {
      return undefined;
    }
  }

  #change(next: number, reason: AdaptiveReason, now: number, latency: number): void {
    const previous = this.limit;
    const clamped = Math.min(this.max, Math.max(this.min, next));
    if (clamped === this.#limit) return;
    this.#limit = clamped;
    if (reason === "increase") this.#increases++;
    else {
      this.#decreases++;
      // Later samples of attempts started under the old limit would decide the same again.
      this.#changedAt = now;
      this.#count = 0;
      this.#overloads = 0;
    }
    const limit = this.limit;
    if (limit !== previous && this.#events.has("limit")) {
      this.#events.emit("limit", {
        name: this.name,
        previous,
        limit,
        reason,
        latencyMs: latency,
        targetLatencyMs: this.targetLatencyMs,
        loopDelayMs: this.#lastLoopDelay,
      });
    }
    if (limit > previous) this.#listeners.notify();
  }
}

/**
 * Creates an {@link AdaptiveConcurrency} limit.
 *
 * @example
 * ```ts
 * const adaptive = adaptiveConcurrency({ min: 2, max: 64, targetLatencyMs: 200 });
 * adaptive.on("limit", (e) => console.log(`${e.previous} -> ${e.limit} (${e.reason})`));
 * ```
 */
export function adaptiveConcurrency<I = unknown>(options: AdaptiveConcurrencyOptions = {}): AdaptiveConcurrency<I> {
  return new AdaptiveConcurrency<I>(options);
}
