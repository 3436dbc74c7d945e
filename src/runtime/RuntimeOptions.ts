import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { isEventSink, type EventSink } from "../events/EventSink.js";
import { func, knownKeys, nonNegativeNumber, optional, plainObject, positiveInt } from "../options/validate.js";
import { systemClock, type Clock } from "../time/Clock.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import { optionKeys } from "../options/optionKeys.js";

/** Where process signals come from (`process`, or a stand-in in tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of signal handling. */
export interface SignalOptions {
  /**
   * Signals that stop the runtime.
   * @default ["SIGINT", "SIGTERM"]
   */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * How long stop steps may take after a signal before the rest are abandoned, in ms.
   * @default 10000
   * @example `{ graceMs: 30_000 }`
   */
  readonly graceMs?: number;
  /**
   * Where to listen. @default process
   */
  readonly target?: SignalTarget;
}

/**
 * Options of {@link runtime}.
 *
 * @example
 * ```ts
 * const app = runtime({ concurrency: 4, healthIntervalMs: 15_000, signals: { graceMs: 20_000 } });
 * ```
 */
export interface RuntimeOptions {
  /**
   * Components started (or stopped) at once.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Time for timeouts, retries and health checks.
   * @default the system clock
   */
  readonly clock?: Clock;
  /** Randomness for retry jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * Interval between health checks once started, in ms; `0` turns periodic checks off
   * (`checkHealth()` still works).
   * @default 10000
   * @example `{ healthIntervalMs: 30_000 }`
   */
  readonly healthIntervalMs?: number;
  /**
   * Stop on SIGINT / SIGTERM. `true` means the defaults. The listeners are added by `start()` and
   * removed only once `stop()` is complete. While they are installed, the first signal stops the
   * runtime gracefully (within `graceMs`) instead of exiting; a signal that arrives while it is
   * already stopping (a second Ctrl-C during the grace period) gives up the grace period: what
   * is still stopping is abandoned at once and `stop()` resolves. After the stop, a signal gets
   * Node's default behaviour again.
   * @default false
   * @example `{ signals: { graceMs: 20_000 } }`
   */
  readonly signals?: boolean | SignalOptions;
  /**
   * A bus that receives every runtime event as well (an `EventBus` whose event map includes
   * `RuntimeEvents`, shared with pipelines and workflows if you like).
   * @default none
   * @example `{ events: bus }`
   */
  readonly events?: EventSink<RuntimeEvents>;
}

/** Runtime options, validated, with every field present. */
export interface FilledRuntimeOptions {
  readonly concurrency: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly healthIntervalMs: number;
  readonly signals:
    | { readonly signals: readonly NodeJS.Signals[]; readonly graceMs: number; readonly target: SignalTarget }
    | undefined;
  readonly events: EventSink<RuntimeEvents> | undefined;
}

/** Runtime defaults. */
export const runtimeDefaults = Object.freeze({
  concurrency: 8,
  healthIntervalMs: 10_000,
  signals: Object.freeze(["SIGINT", "SIGTERM"] as NodeJS.Signals[]),
  graceMs: 10_000,
});

/** Validates runtime options. */
export function fillRuntimeOptions(options: unknown): FilledRuntimeOptions {
  const where = "runtime";
  const o = plainObject(options ?? {}, "options", where);
  knownKeys(
    o,
    optionKeys<RuntimeOptions>()("concurrency", "clock", "random", "healthIntervalMs", "signals", "events"),
    "",
    where,
  );
  const signals = optional(o.signals, undefined as FilledRuntimeOptions["signals"], (v) => {
    if (v === false) return undefined;
    const s = v === true ? {} : plainObject(v, "signals", where);
    knownKeys(s, optionKeys<SignalOptions>()("signals", "graceMs", "target"), "signals", where);
    const target = optional(s.target, process as SignalTarget, (t) => {
      const tt = t as Partial<SignalTarget> | null;
      if (typeof tt?.on !== "function" || typeof tt.off !== "function")
        throw new InvalidOptionError("signals.target", "an object with on and off", t, where);
      return t as SignalTarget;
    });
    return {
      signals: optional(s.signals, runtimeDefaults.signals, (list) => {
        if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) {
          throw new InvalidOptionError("signals.signals", "an array of signal names", list, where);
        }
        return list as NodeJS.Signals[];
      }),
      graceMs: optional(s.graceMs, runtimeDefaults.graceMs, (g) => nonNegativeNumber(g, "signals.graceMs", where)),
      target,
    };
  });
  return {
    concurrency: optional(o.concurrency, runtimeDefaults.concurrency, (v) => positiveInt(v, "concurrency", where)),
    clock: optional(o.clock, systemClock, (v) => {
      const c = v as Partial<Clock> | null;
      if (typeof c?.now !== "function" || typeof c.setTimer !== "function")
        throw new InvalidOptionError("clock", "a Clock", v, where);
      return v as Clock;
    }),
    random: optional(o.random, Math.random, (v) => func<() => number>(v, "random", where)),
    healthIntervalMs: optional(o.healthIntervalMs, runtimeDefaults.healthIntervalMs, (v) =>
      nonNegativeNumber(v, "healthIntervalMs", where),
    ),
    signals,
    events: optional(o.events, undefined, (v) => {
      if (!isEventSink(v))
        throw new InvalidOptionError("events", "an EventBus (an object with has and emit)", v, where);
      return v as EventSink<RuntimeEvents>;
    }),
  };
}
