import { EventBus, type EventHandler } from "../events/EventBus.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { RateLimitedError } from "../errors/RateLimitedError.js";
import {
  func,
  knownKeys,
  nonEmptyString,
  optional,
  plainObject,
  positiveInt,
  positiveNumber,
} from "../options/validate.js";
import type { Clock } from "../time/Clock.js";
import type { Admission, AdmissionOutcome } from "./Admission.js";
import { ChangeListeners } from "./ChangeListeners.js";
import { clockOption } from "../time/clockOption.js";
import { PolicyClock } from "./PolicyClock.js";
import { describeSpec, rateSpec, type RateLimits, type RateSpec } from "./RateLimits.js";
import { RateState } from "./RateState.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link rateLimiter}. The top-level limits are the global cap (every item, whatever
 * its key); `key` with `perKey` adds a limit per key.
 *
 * @example
 * ```ts
 * // 10 a second and 500 a minute in all, and at most 2 a second per host
 * rateLimiter({ perSecond: 10, burst: 10, windows: [{ limit: 500, intervalMs: 60_000 }],
 *               key: (req) => req.host, perKey: { perSecond: 2 } })
 * ```
 */
export interface RateLimiterOptions<I = unknown> extends RateLimits {
  /** Name in stats, events and errors. @default "rate-limiter" */
  readonly name?: string;
  /** The key an item is limited under. @default none: only the global limits apply */
  readonly key?: (item: I) => string | number;
  /** Limits per key; required with `key`. @default none */
  readonly perKey?: RateLimits;
  /** Keys tracked at once; a new key beyond this waits until an idle key can be forgotten. @default 10000 */
  readonly maxKeys?: number;
  /** Longest Retry-After honoured, in ms (longer ones are cut to this). @default 600000 */
  readonly maxPenaltyMs?: number;
  /**
   * The clock `now` comes from, read when {@link RateLimiter.setLimits} is called without one.
   * @default systemClock, or the clock of the first run that uses the limiter in a stage
   * @example `rateLimiter({ perSecond: 10, clock })`
   */
  readonly clock?: Clock;
}

/** Rate limiter defaults. */
export const rateLimiterDefaults = Object.freeze({
  name: "rate-limiter",
  maxKeys: 10_000,
  maxPenaltyMs: 600_000,
});

/** Events of a {@link RateLimiter}. */
export interface RateLimiterEvents {
  /** An item was refused and must wait `waitMs`; `reason` says whether a limit or a Retry-After penalty holds it. */
  wait: {
    readonly limiter: string;
    readonly key: string | number | undefined;
    readonly waitMs: number;
    readonly reason: "limit" | "penalty" | "keys";
  };
  /** A Retry-After was reported: `key` (or everything) is blocked for `ms`. */
  penalty: { readonly limiter: string; readonly key: string | number | undefined; readonly ms: number };
  /** Limits were changed at run time. */
  limits: { readonly limiter: string; readonly scope: "global" | "perKey"; readonly limits: RateLimits };
}

/** A snapshot of a {@link RateLimiter}'s counters. */
export interface RateLimiterStats {
  readonly name: string;
  /** Items admitted (rolled-back admissions excluded). */
  readonly admitted: number;
  /** Refusals (each is one wait of the caller). */
  readonly refused: number;
  /** Retry-After penalties applied. */
  readonly penalties: number;
  /** Keys tracked now. */
  readonly keys: number;
  readonly limits: RateLimits | undefined;
  readonly perKey: RateLimits | undefined;
}

const knownOptions = optionKeys<RateLimiterOptions>()(
  "name",
  "perSecond",
  "burst",
  "windows",
  "key",
  "perKey",
  "maxKeys",
  "maxPenaltyMs",
  "clock",
);

/**
 * A rate limiter as an {@link Admission}: token bucket and sliding windows, global and per key,
 * limits changeable at run time, Retry-After penalties. It is a plain object: pass the same one
 * to several stages (or workflows) to share one API quota between them.
 */
export class RateLimiter<I = unknown> implements Admission<I> {
  readonly name: string;
  readonly #key: ((item: I) => string | number) | undefined;
  readonly #maxKeys: number;
  readonly #maxPenaltyMs: number;
  readonly #time: PolicyClock;
  /** Global limits; its spec is undefined-equivalent (no bucket, no window) when only per-key limits exist. */
  readonly #global: RateState;
  #globalSpec: RateSpec | undefined;
  #keySpec: RateSpec | undefined;
  /** Per-key states, in first-use order; idle keys are swept when the map is full. */
  readonly #keys = new Map<string | number, RateState>();
  readonly #listeners = new ChangeListeners();
  readonly #events = new EventBus<RateLimiterEvents>();
  #admitted = 0;
  #refused = 0;
  #penalties = 0;

  constructor(options: RateLimiterOptions<I>, now = 0) {
    const o = plainObject(options, "options", "rateLimiter");
    const where = `rateLimiter "${typeof o.name === "string" ? o.name : rateLimiterDefaults.name}"`;
    knownKeys(o, knownOptions, "", where);
    this.name = optional(o.name, rateLimiterDefaults.name, (v) => nonEmptyString(v, "name", where));
    this.#key = optional(o.key, undefined, (v) => func<(item: I) => string | number>(v, "key", where));
    this.#maxKeys = optional(o.maxKeys, rateLimiterDefaults.maxKeys, (v) => positiveInt(v, "maxKeys", where));
    this.#maxPenaltyMs = optional(o.maxPenaltyMs, rateLimiterDefaults.maxPenaltyMs, (v) =>
      positiveNumber(v, "maxPenaltyMs", where),
    );
    this.#time = new PolicyClock(optional<Clock | undefined>(o.clock, undefined, (v) => clockOption(v, where)));
    const hasGlobal = o.perSecond !== undefined || o.burst !== undefined || o.windows !== undefined;
    this.#globalSpec = hasGlobal
      ? rateSpec({ perSecond: o.perSecond, burst: o.burst, windows: o.windows }, "", where)
      : undefined;
    if (o.perKey !== undefined && this.#key === undefined)
      throw new InvalidOptionError("key", "a function when perKey is given", undefined, where);
    if (this.#key !== undefined && o.perKey === undefined)
      throw new InvalidOptionError("perKey", "limits per key when key is given", undefined, where);
    this.#keySpec = o.perKey === undefined ? undefined : rateSpec(o.perKey, "perKey", where);
    if (this.#globalSpec === undefined && this.#keySpec === undefined) {
      throw new InvalidOptionError("perSecond", "a limit: perSecond, windows or perKey", undefined, where);
    }
    this.#global = new RateState(this.#globalSpec ?? unlimited, now);
  }

  tryAcquire(item: I, now: number): number {
    const global = this.#global;
    let wait = global.wait(now);
    let reason: "limit" | "penalty" | "keys" = wait > 0 && global.penalizedAt(now) ? "penalty" : "limit";
    let keyState: RateState | undefined;
    let key: string | number | undefined;
    if (this.#key !== undefined) {
      key = this.#key(item);
      keyState = this.#keys.get(key);
      if (keyState === undefined) {
        const full = this.#makeRoom(now);
        if (full > 0) {
          if (full > wait) {
            wait = full;
            reason = "keys";
          }
        } else {
          keyState = new RateState(this.#keySpec!, now);
          this.#keys.set(key, keyState);
        }
      }
      if (keyState !== undefined) {
        const w = keyState.wait(now);
        if (w > wait) {
          wait = w;
          reason = keyState.penalizedAt(now) ? "penalty" : "limit";
        }
      }
    }
    if (wait > 0) {
      this.#refused++;
      if (this.#events.has("wait")) this.#events.emit("wait", { limiter: this.name, key, waitMs: wait, reason });
      return wait;
    }
    global.take(now);
    keyState?.take(now);
    this.#admitted++;
    return 0;
  }

  release(item: I, outcome: AdmissionOutcome, now: number): void {
    if (outcome.neutral !== true) return;
    // Roll back: the permit was not used.
    this.#admitted--;
    this.#global.refund(now);
    if (this.#key !== undefined) this.#keys.get(this.#key(item))?.refund(now);
  }

  /**
   * Blocks the item's key (everything, when the limiter is not keyed) for `ms` (capped at `maxPenaltyMs`), then
   * resumes at the normal rate.
   */
  penalize(item: I, ms: number, now: number): void {
    if (!(ms > 0)) return;
    const cut = Math.min(ms, this.#maxPenaltyMs);
    let key: string | number | undefined;
    let state = this.#global;
    if (this.#key !== undefined) {
      key = this.#key(item);
      let s = this.#keys.get(key);
      if (s === undefined) {
        s = new RateState(this.#keySpec!, now);
        this.#keys.set(key, s);
      }
      state = s;
    }
    state.penalize(now + cut);
    this.#penalties++;
    this.#events.emit("penalty", { limiter: this.name, key, ms: cut });
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  /**
   * True when the refusal of `item` at `now` comes from its key alone (its per-key limit, its
   * Retry-After, or a full key table): the global limits would admit, so items of other keys may
   * go meanwhile. Every item of the same key is refused at `now` too.
   */
  keyedRefusal(_item: I, now: number): boolean {
    return this.#key !== undefined && this.#global.wait(now) === 0;
  }

  /**
   * Follows a run's clock (a stage calls this when the run starts) for a `setLimits` without
   * `now`: a limiter created without a `clock` adopts it; one whose clock is on another time base
   * throws an `InvalidOptionError`.
   */
  bindClock(clock: Clock): void {
    this.#time.bind(clock, `rateLimiter "${this.name}"`);
  }

  refusal(item: I, now: number): RateLimitedError {
    const key = this.#key === undefined ? undefined : this.#key(item);
    const state = key === undefined ? undefined : this.#keys.get(key);
    const wait = Math.max(this.#global.wait(now), state?.wait(now) ?? 0);
    return new RateLimitedError(this.name, wait, key === undefined ? undefined : String(key));
  }

  /**
   * Replaces the global limits at run time, keeping what was used in the current windows; wakes
   * waiters. `now` defaults to the limiter's clock (the run's, once a stage uses it).
   *
   * @example
   * ```ts
   * quota.setLimits({ perSecond: 20, burst: 20 }); // the API raised our quota
   * ```
   */
  setLimits(limits: RateLimits, now: number = this.#time.clock.now()): void {
    const spec = rateSpec(limits, "limits", `rateLimiter "${this.name}"`);
    this.#globalSpec = spec;
    this.#global.reconfigure(spec, now);
    this.#events.emit("limits", { limiter: this.name, scope: "global", limits: describeSpec(spec) });
    this.#listeners.notify();
  }

  /**
   * Replaces the per-key limits at run time (every key, keeping what each used); wakes waiters.
   * `now` defaults to the limiter's clock.
   */
  setKeyLimits(limits: RateLimits, now: number = this.#time.clock.now()): void {
    const where = `rateLimiter "${this.name}"`;
    if (this.#key === undefined)
      throw new InvalidOptionError("key", "a keyed limiter for setKeyLimits", undefined, where);
    const spec = rateSpec(limits, "perKey", where);
    this.#keySpec = spec;
    for (const state of this.#keys.values()) state.reconfigure(spec, now);
    this.#events.emit("limits", { limiter: this.name, scope: "perKey", limits: describeSpec(spec) });
    this.#listeners.notify();
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof RateLimiterEvents>(type: K, handler: EventHandler<RateLimiterEvents[K]>): () => void {
    return this.#events.on(type, handler);
  }

  /** A frozen snapshot of the counters and limits. */
  stats(): RateLimiterStats {
    return Object.freeze({
      name: this.name,
      admitted: this.#admitted,
      refused: this.#refused,
      penalties: this.#penalties,
      keys: this.#keys.size,
      limits: this.#globalSpec === undefined ? undefined : describeSpec(this.#globalSpec),
      perKey: this.#keySpec === undefined ? undefined : describeSpec(this.#keySpec),
    });
  }

  /** Forgets idle keys when the key map is full; returns 0 when a new key fits, else ms until one may. */
  #makeRoom(now: number): number {
    if (this.#keys.size < this.#maxKeys) return 0;
    let soonest = Infinity;
    for (const [key, state] of this.#keys) {
      const idle = state.idleIn(now);
      if (idle === 0) this.#keys.delete(key);
      else if (idle < soonest) soonest = idle;
    }
    return this.#keys.size < this.#maxKeys ? 0 : soonest;
  }
}

/** The spec of a scope with no limit of its own (it still carries Retry-After penalties). */
const unlimited: RateSpec = Object.freeze({ perMs: 0, burst: 1, windows: Object.freeze([]) });

/**
 * Creates a {@link RateLimiter}. `now` is the clock reading the limits start from (a new token
 * bucket starts full either way); pass `clock.now()` when it matters.
 *
 * @example
 * ```ts
 * const quota = rateLimiter({ perSecond: 50, burst: 10 });
 * pipeline("crawl").from(urls).map(fetchPage, { rateLimit: quota }).map(fetchLinks, { rateLimit: quota });
 * ```
 */
export function rateLimiter<I = unknown>(options: RateLimiterOptions<I>, now = 0): RateLimiter<I> {
  return new RateLimiter<I>(options, now);
}
