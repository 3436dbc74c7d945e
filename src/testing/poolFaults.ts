import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { child } from "../executor/pool/stage/child.js";
import type { PoolOptions } from "../executor/pool/stage/PoolOptions.js";
import type { PoolStage } from "../executor/pool/stage/PoolStage.js";
import type { PoolStageContext } from "../executor/pool/stage/PoolStageContext.js";
import { worker } from "../executor/pool/stage/worker.js";
import { nonNegativeInt, optional } from "../options/validate.js";
import { faultSettings, type FaultPlan } from "./FaultPlan.js";

/** {@link poolFaults}' plan: {@link FaultPlan}'s faults, plus crashing the worker. */
export interface PoolFaultPlan extends FaultPlan {
  /**
   * Items whose worker crashes while running them: the thread or process exits with `exitCode`,
   * and every item it held fails with `WEIR_WORKER_CRASHED` (then `retry` / `onError` apply; see
   * Blame in docs/contexts.md). The pool starts a replacement worker.
   */
  readonly crash?: readonly number[];
  /** The exit code of a crash. @default 1 */
  readonly exitCode?: number;
}

/** What the pool's workers receive as `workerData` (JSON-safe: it also goes to child processes). */
interface PoolFaultData {
  readonly fail: readonly number[];
  readonly hang: readonly number[];
  readonly crash: readonly number[];
  readonly delayMs: Readonly<Record<string, number>>;
  /** 0: every attempt. */
  readonly attempts: number;
  readonly exitCode: number;
}

/**
 * A pool stage for your own tests that passes items through unchanged, except the ones you
 * choose (by source index): it crashes its worker on them, fails them (an error with
 * `code: "WEIR_INJECTED_FAULT"`), hangs until their signal aborts, or delays them. Put it before
 * or after the stage you test, or in place of it, to see what your pipeline does when a worker
 * thread (`"worker"`) or child process (`"process"`) dies holding items.
 *
 * @example
 * ```ts
 * import { poolFaults } from "weir/testing";
 * const result = await pipeline("p")
 *   .from(items)
 *   .map(poolFaults("process", { crash: [3], attempts: 1 }), { retry: 2 }) // item 3's first attempt kills the process
 *   .to(save)
 *   .run(); // every item arrives: the retry ran in a fresh process
 * ```
 * @param options the pool's options (`workerData` is the plan: it cannot be given)
 * @throws InvalidOptionError for an invalid plan or pool option
 */
export function poolFaults<T = unknown>(
  context: "worker" | "process",
  plan: PoolFaultPlan,
  options: Omit<PoolOptions, "workerData"> = {},
): PoolStage<T, T> {
  const where = "poolFaults()";
  if (context !== "worker" && context !== "process") {
    throw new InvalidOptionError("context", '"worker" or "process"', context, where);
  }
  const s = faultSettings(plan, where, ["crash", "exitCode"]);
  const p = plan as Record<string, unknown>;
  const crash = optional<readonly number[]>(p.crash, [], (v) => {
    if (!Array.isArray(v)) throw new InvalidOptionError("crash", "an array of source indexes", v, where);
    return v.map((x, i) => nonNegativeInt(x, `crash[${i}]`, where));
  });
  const exitCode = optional(p.exitCode, 1, (v) => nonNegativeInt(v, "exitCode", where));
  if ((options as Record<string, unknown>).workerData !== undefined) {
    throw new InvalidOptionError("workerData", "none (it carries the fault plan)", "a value", where);
  }
  const workerData: PoolFaultData = {
    fail: s.fail,
    hang: s.hang,
    crash,
    delayMs: s.delayMs,
    attempts: s.attempts === Infinity ? 0 : s.attempts,
    exitCode,
  };
  const make = context === "worker" ? worker : child;
  return make(injectPoolFault, { ...options, workerData }) as PoolStage<T, T>;
}

/** Runs in the pool's workers (sent by its source: it uses nothing from outside itself). */
function injectPoolFault(item: unknown, ctx: PoolStageContext<unknown, PoolFaultData>): unknown {
  const plan = ctx.workerData;
  const index = ctx.index;
  if (plan.attempts > 0 && ctx.attempt > plan.attempts) return item;
  const act = (): unknown => {
    if (plan.crash.includes(index)) process.exit(plan.exitCode);
    if (plan.hang.includes(index)) {
      return new Promise((_, reject) => {
        const signal = ctx.signal;
        if (signal.aborted) reject(signal.reason as Error);
        else signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      });
    }
    if (plan.fail.includes(index)) {
      throw Object.assign(new Error(`injected failure on item ${index} (attempt ${ctx.attempt})`), {
        code: "WEIR_INJECTED_FAULT",
      });
    }
    return item;
  };
  const ms = plan.delayMs[String(index)];
  if (ms === undefined) return act();
  return new Promise((resolve) => setTimeout(resolve, ms)).then(act);
}
