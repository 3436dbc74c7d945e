import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { func, knownKeys, plainObject, positiveInt } from "../options/validate.js";
import { systemClock, type Clock } from "../time/Clock.js";

/**
 * Options every store takes.
 *
 * @example
 * ```ts
 * const store = memoryStore({ commitWindowMs: 5, commitMaxOps: 500 });
 * ```
 */
export interface StoreOptions {
  /**
   * Longest a write waits for its group commit, in ms: the window of writes a kill -9 can lose.
   * @default 10
   */
  readonly commitWindowMs?: number;
  /**
   * A group commits as soon as it holds this many writes (one transaction each), bounding both the
   * queue's memory and each commit's pause of the event loop.
   * @default 1000
   */
  readonly commitMaxOps?: number;
  /** How often a run's owner touches its heartbeat while idle, in ms (every commit touches it too). @default 2000 */
  readonly heartbeatMs?: number;
  /** An owner whose heartbeat is older than this is presumed dead (other hosts, or a hung process). @default 15000 */
  readonly leaseMs?: number;
  /** Timers (commit window, heartbeat); inject a `ManualClock` in tests. @default the system clock */
  readonly clock?: Clock;
  /** Wall-clock ms for timestamps (checkpoints, dead letters, heartbeats, cache expiry). @default Date.now */
  readonly now?: () => number;
}

/** Every store option filled in. */
export type FilledStoreOptions = Required<StoreOptions>;

/** Defaults of {@link StoreOptions}; see bench/README.md ("Durable store") for how they were measured. */
export const storeDefaults: Readonly<Omit<FilledStoreOptions, "clock" | "now">> = Object.freeze({
  commitWindowMs: 10,
  commitMaxOps: 1000,
  heartbeatMs: 2000,
  leaseMs: 15_000,
});

export const storeOptionKeys = ["commitWindowMs", "commitMaxOps", "heartbeatMs", "leaseMs", "clock", "now"] as const;

/** Validates and fills the common options; `extra` names the option keys the caller's own store adds. */
export function fillStoreOptions(options: unknown, where: string, extra: readonly string[] = []): FilledStoreOptions {
  const given = plainObject(options ?? {}, "options", where);
  knownKeys(given, [...storeOptionKeys, ...extra], "", where);
  const pick = <K extends keyof typeof storeDefaults>(key: K): number =>
    given[key] === undefined ? storeDefaults[key] : positiveInt(given[key], key, where);
  const clock = given["clock"] === undefined ? systemClock : (given["clock"] as Clock);
  if (
    typeof clock !== "object" ||
    clock === null ||
    typeof clock.now !== "function" ||
    typeof clock.setTimer !== "function"
  ) {
    throw new InvalidOptionError("clock", "a Clock (now() and setTimer())", clock, where);
  }
  return {
    commitWindowMs: pick("commitWindowMs"),
    commitMaxOps: pick("commitMaxOps"),
    heartbeatMs: pick("heartbeatMs"),
    leaseMs: pick("leaseMs"),
    clock,
    now: given["now"] === undefined ? Date.now : func<() => number>(given["now"], "now", where),
  };
}
