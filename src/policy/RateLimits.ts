import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject, positiveInt, positiveNumber } from "../options/validate.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * A sliding window: at most `limit` admissions in any `intervalMs` span. Exact (it keeps the last
 * `limit` admission times, allocated as they are used), so two windows at once are never exceeded.
 *
 * @example
 * ```ts
 * { limit: 500, intervalMs: 60_000 } // 500 a minute
 * ```
 */
export interface RateWindow {
  /** Admissions allowed per window; at most 1,000,000. */
  readonly limit: number;
  /** Window length in ms. */
  readonly intervalMs: number;
}

/**
 * One set of rate limits: a token bucket (`perSecond`, `burst`), sliding windows, or both; an
 * item must pass all of them.
 *
 * @example
 * ```ts
 * { perSecond: 10, burst: 10, windows: [{ limit: 500, intervalMs: 60_000 }] }
 * ```
 */
export interface RateLimits {
  /** Token-bucket refill rate, in permits per second. @default no bucket */
  readonly perSecond?: number;
  /** Token-bucket capacity: permits that can be taken at once after a quiet spell. @default 1 */
  readonly burst?: number;
  /** Sliding windows, all enforced. @default none */
  readonly windows?: readonly RateWindow[];
}

/** Rate limits with every field decided. */
export interface RateSpec {
  /** Permits per ms, or 0 for no bucket. */
  readonly perMs: number;
  readonly burst: number;
  readonly windows: readonly RateWindow[];
}

/** The largest window `limit` accepted (memory per key is at most 8 bytes × limit). */
export const maxWindowLimit = 1_000_000;

/** Validates one set of rate limits; `option` is its path (e.g. `perKey`). */
export function rateSpec(value: unknown, option: string, where?: string): RateSpec {
  const o = plainObject(value, option === "" ? "options" : option, where);
  const at = (k: string): string => (option === "" ? k : `${option}.${k}`);
  const perSecond = optional(o.perSecond, undefined, (v) => positiveNumber(v, at("perSecond"), where));
  const burst = optional(o.burst, undefined, (v) => positiveNumber(v, at("burst"), where));
  if (burst !== undefined && perSecond === undefined) {
    throw new InvalidOptionError(at("perSecond"), "a positive finite number when burst is given", undefined, where);
  }
  if (burst !== undefined && burst < 1) throw new InvalidOptionError(at("burst"), "at least 1", burst, where);
  const windows: RateWindow[] = [];
  if (o.windows !== undefined) {
    if (!Array.isArray(o.windows) || o.windows.length > 16) {
      throw new InvalidOptionError(at("windows"), "an array of at most 16 { limit, intervalMs }", o.windows, where);
    }
    o.windows.forEach((w: unknown, i: number) => {
      const path = `${at("windows")}[${i}]`;
      const wo = plainObject(w, path, where);
      knownKeys(wo, optionKeys<RateWindow>()("limit", "intervalMs"), path, where);
      const limit = positiveInt(wo.limit, `${path}.limit`, where);
      if (limit > maxWindowLimit)
        throw new InvalidOptionError(`${path}.limit`, `at most ${maxWindowLimit}`, limit, where);
      windows.push(Object.freeze({ limit, intervalMs: positiveNumber(wo.intervalMs, `${path}.intervalMs`, where) }));
    });
  }
  if (perSecond === undefined && windows.length === 0) {
    throw new InvalidOptionError(at("perSecond"), "a limit: perSecond or at least one window", undefined, where);
  }
  return Object.freeze({
    perMs: perSecond === undefined ? 0 : perSecond / 1000,
    burst: burst ?? 1,
    windows: Object.freeze(windows),
  });
}

/** The public form of a spec, for stats and events. */
export function describeSpec(spec: RateSpec): RateLimits {
  const out: { perSecond?: number; burst?: number; windows?: readonly RateWindow[] } = {};
  if (spec.perMs > 0) {
    out.perSecond = spec.perMs * 1000;
    out.burst = spec.burst;
  }
  if (spec.windows.length > 0) out.windows = spec.windows;
  return Object.freeze(out);
}
