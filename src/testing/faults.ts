import { InjectedFaultError } from "../errors/InjectedFaultError.js";
import { clockOption } from "../time/clockOption.js";
import { func, optional } from "../options/validate.js";
import type { StageContext } from "../stage/StageContext.js";
import { systemClock, type Clock } from "../time/Clock.js";
import { faultSettings, type FaultPlan } from "./FaultPlan.js";

/** {@link faults}' options: which items fail, hang or slow down, and on what clock. */
export interface FaultOptions extends FaultPlan {
  /** The clock `delayMs` waits on: a `ManualClock` keeps a test deterministic. @default systemClock */
  readonly clock?: Clock;
  /**
   * What a failing call throws (or rejects with), by item: to test how your code handles your own
   * errors (a retryable one, an HTTP 503…). @default an `InjectedFaultError`
   */
  readonly error?: (index: number, item: unknown) => unknown;
}

/** Wraps a stage function so that chosen items fail, hang or slow down (see {@link faults}). */
export type FaultWrapper = <I, O, C extends StageContext = StageContext>(
  fn: (item: I, ctx: C) => O,
) => (item: I, ctx: C) => O | Promise<Awaited<O>>;

/**
 * Fault injection for your own tests: wraps a stage function so that the items you choose (by
 * source index, `ctx.index`) fail, hang until their signal aborts, or slow down, and every other
 * item runs the function untouched (synchronously, if it is synchronous: a fused stage stays fused).
 *
 * @example
 * ```ts
 * import { faults, ManualClock } from "weir/testing";
 * const clock = new ManualClock();
 * const flaky = faults({ fail: [3, 7], hang: [5], delayMs: { 2: 100 }, clock });
 * const run = pipeline("p").from(items).map(flaky(parse), { timeoutMs: 1_000, onError: "dead-letter" }).run({ clock });
 * await clock.runAll(); // item 5 times out, 3 and 7 are dead letters, 2 arrives 100 ms late
 * ```
 * @throws InvalidOptionError for an unknown option, an index that is not a non-negative integer…
 */
export function faults(options: FaultOptions): FaultWrapper {
  const where = "faults()";
  const plan = faultSettings(options, where, ["clock", "error"]);
  const o = options as Record<string, unknown>;
  const clock = optional(o.clock, systemClock, (v) => clockOption(v, where));
  const error = optional<(index: number, item: unknown) => unknown>(
    o.error,
    (index) => index,
    (v) => func(v, "error", where),
  );
  const custom = o.error !== undefined;
  const fail = new Set(plan.fail);
  const hang = new Set(plan.hang);
  const failure = (index: number, attempt: number, item: unknown): unknown =>
    custom ? error(index, item) : new InjectedFaultError(index, attempt);

  return <I, O, C extends StageContext>(fn: (item: I, ctx: C) => O) =>
    (item: I, ctx: C): O | Promise<Awaited<O>> => {
      const index = ctx.index;
      if (ctx.attempt > plan.attempts) return fn(item, ctx);
      const delay = plan.delayMs[index];
      const hangs = hang.has(index);
      const fails = fail.has(index);
      if (delay === undefined && !hangs && !fails) return fn(item, ctx);
      return (async (): Promise<Awaited<O>> => {
        if (delay !== undefined) await wait(clock, delay, ctx.signal);
        if (hangs) await untilAborted(ctx.signal);
        if (fails) throw failure(index, ctx.attempt, item);
        return await fn(item, ctx);
      })();
    };
}

/** Resolves after `ms` on `clock`; rejects with the abort reason if `signal` aborts first. */
function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal.reason as Error);
    };
    const timer = clock.setTimer(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Never resolves; rejects with the abort reason once `signal` aborts. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}
