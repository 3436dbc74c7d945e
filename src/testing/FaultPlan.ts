import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import {
  knownKeys,
  nonNegativeInt,
  nonNegativeNumber,
  optional,
  plainObject,
  positiveInt,
} from "../options/validate.js";

/**
 * Which items a fault hits, by source index (`ctx.index`: the item's position in the source; a
 * flatMap's children share their parent's). Shared by {@link faults} (main-loop stages) and
 * {@link poolFaults} (worker-thread and child-process stages).
 */
export interface FaultPlan {
  /** Items whose call fails with an `InjectedFaultError` (`WEIR_INJECTED_FAULT`) instead of running. */
  readonly fail?: readonly number[];
  /**
   * Items whose call never settles on its own: it rejects with the abort reason once `ctx.signal`
   * aborts (a `timeoutMs`, `stop()`'s grace running out, a cancelled run), as a stuck request would.
   */
  readonly hang?: readonly number[];
  /** Milliseconds to wait before calling, by source index: `{ 2: 100 }` slows item 2 by 100 ms. */
  readonly delayMs?: Readonly<Record<number, number>>;
  /**
   * Faults hit an item's first `attempts` attempts only, so a retry gets through: `attempts: 1`
   * with `retry: 2` fails once and then succeeds. @default every attempt
   */
  readonly attempts?: number;
}

/** A fault plan, validated, with every field present. */
export interface FaultSettings {
  readonly fail: readonly number[];
  readonly hang: readonly number[];
  readonly delayMs: Readonly<Record<number, number>>;
  readonly attempts: number;
}

/** The keys of {@link FaultPlan}, for `knownKeys`. */
export const faultPlanKeys = ["fail", "hang", "delayMs", "attempts"] as const satisfies readonly (keyof FaultPlan)[];

/** Validates a fault plan's own fields (`extra` names the other keys its caller accepts). */
export function faultSettings(value: unknown, where: string, extra: readonly string[] = []): FaultSettings {
  const o = plainObject(value, "options", where);
  knownKeys(o, [...faultPlanKeys, ...extra], "", where);
  const indexes = (v: unknown, option: string): readonly number[] => {
    if (!Array.isArray(v)) throw new InvalidOptionError(option, "an array of source indexes", v, where);
    return Object.freeze(v.map((x, i) => nonNegativeInt(x, `${option}[${i}]`, where)));
  };
  const delays = (v: unknown): Readonly<Record<number, number>> => {
    const d = plainObject(v, "delayMs", where);
    const out: Record<number, number> = {};
    for (const [key, ms] of Object.entries(d)) {
      out[nonNegativeInt(Number(key), `delayMs key "${key}"`, where)] = nonNegativeNumber(ms, `delayMs.${key}`, where);
    }
    return Object.freeze(out);
  };
  return Object.freeze({
    fail: optional(o.fail, [], (v) => indexes(v, "fail")),
    hang: optional(o.hang, [], (v) => indexes(v, "hang")),
    delayMs: optional(o.delayMs, {}, delays),
    attempts: optional(o.attempts, Infinity, (v) => (v === Infinity ? Infinity : positiveInt(v, "attempts", where))),
  });
}
