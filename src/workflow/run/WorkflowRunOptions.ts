import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { isEventSink, type EventSink } from "../../events/EventSink.js";
import {
  abortSignal,
  func,
  knownKeys,
  nonEmptyString,
  nonNegativeInt,
  nonNegativeNumber,
  optional,
  plainObject,
  positiveInt,
} from "../../options/validate.js";
import { WorkflowSnapshot } from "../../state/WorkflowSnapshot.js";
import { systemClock, type Clock } from "../../time/Clock.js";
import type { WorkflowEvents } from "../results/WorkflowEvents.js";
import type { WorkflowResult } from "../results/WorkflowResult.js";
import { checkRunDashboard, type RunDashboardOptions } from "../../run/RunDashboardOptions.js";

/**
 * Options of `wf.run()`.
 *
 * @example
 * ```ts
 * const first = await wf.run({ concurrency: 8, signal });
 * const second = await wf.run({ reuse: first });        // only what did not complete, and below
 * const one = await wf.run({ only: ["report"] });       // "report" and its ancestors
 * ```
 */
export interface WorkflowRunOptions<Name extends string = string> {
  /**
   * Most `async` tasks running at once (inline tasks take no slot).
   * @default 16
   * @example `{ concurrency: 64 }`
   */
  readonly concurrency?: number;
  /**
   * Cancels the run: running tasks' `ctx.signal` aborts, every unfinished task is marked
   * `cancelled`, and the run resolves with state `cancelled`. The listener is removed when the run ends.
   * @default none
   */
  readonly signal?: AbortSignal;
  /**
   * Time for timeouts, retry backoff and task timestamps.
   * @default the system clock
   * @example `{ clock: new ManualClock() }`
   */
  readonly clock?: Clock;
  /**
   * Task timeouts and retry backoffs run on one timer wheel of this resolution (ms): one system
   * timer for any number of tasks, each firing up to this late, never early. 0 gives every timer
   * its own `setTimeout`. @default 10 on the system clock; 0 when a `clock` is given
   * @example `{ timerResolutionMs: 1 }`
   */
  readonly timerResolutionMs?: number;
  /** Randomness for retry jitter. @default Math.random */
  readonly random?: () => number;
  /**
   * An earlier run's result (or snapshot): tasks that completed there are not run again (their
   * results are reused); failed, skipped and cancelled ones run again with every descendant.
   * A task whose dynamic tasks did not all complete runs again (and adds them again).
   * @default none: run everything
   */
  readonly reuse?: WorkflowResult<unknown> | WorkflowSnapshot;
  /**
   * Run only these tasks and their ancestors.
   * @default every task
   * @example `{ only: ["report"] }`
   */
  readonly only?: readonly Name[];
  /**
   * A bus that receives every event of the run as well (share one bus between runs, pipelines
   * and workflows, e.g. an `EventBus<RunEvents & WorkflowEvents>`; its middleware and history
   * apply). The run adds no listener to it.
   * @default none
   * @example `{ events: bus }`
   */
  readonly events?: EventSink<WorkflowEvents>;
  /**
   * Most tasks `ctx.add()` may add to the run (a bound on runaway fan-out); one more is a
   * `WorkflowError`.
   * @default 100000
   */
  readonly maxAddedTasks?: number;
  /**
   * Synchronous task completions the scheduler handles in one turn before it yields to the event
   * loop (so a long graph of synchronous tasks does not starve I/O).
   * @default 1024
   */
  readonly yieldEvery?: number;
  /**
   * Serves the web dashboard beside the run (the DAG with task states, a timeline of attempts),
   * loaded from `weir/dashboard` only when given, and prints its URL on stderr: `true` or
   * `{ port, host, allowRemote }`. See docs/dashboard.md. @default false
   */
  readonly dashboard?: boolean | RunDashboardOptions;
}

/** Run option defaults. */
export const workflowRunDefaults = Object.freeze({
  concurrency: 16,
  maxAddedTasks: 100_000,
  yieldEvery: 1024,
});

/** Run options, validated, with every field present. */
export interface FilledRunOptions {
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  readonly clock: Clock;
  /** Resolution of the timer wheel for task timeouts and backoffs (0: none). */
  readonly timerResolutionMs: number;
  readonly random: () => number;
  readonly reuse: WorkflowSnapshot | undefined;
  readonly only: readonly string[] | undefined;
  readonly events: EventSink<WorkflowEvents> | undefined;
  readonly maxAddedTasks: number;
  readonly yieldEvery: number;
  readonly dashboard: boolean | RunDashboardOptions;
}

/** Every option of {@link WorkflowRunOptions}, no more, no less (the type says when one is missing). */
const known = Object.keys({
  concurrency: true,
  signal: true,
  clock: true,
  timerResolutionMs: true,
  random: true,
  reuse: true,
  only: true,
  events: true,
  maxAddedTasks: true,
  yieldEvery: true,
  dashboard: true,
} satisfies Record<keyof WorkflowRunOptions, true>);

/** Validates `wf.run()` options (task names in `only` are checked against the graph later). */
export function fillRunOptions(options: unknown, where: string): FilledRunOptions {
  const o = plainObject(options ?? {}, "options", where);
  knownKeys(o, known, "", where);
  const reuse = optional(o.reuse, undefined, (v): WorkflowSnapshot => {
    if (v instanceof WorkflowSnapshot) return v;
    const snap = (v as { snapshot?: unknown } | null)?.snapshot;
    if (snap instanceof WorkflowSnapshot) return snap;
    throw new InvalidOptionError("reuse", "an earlier run's result or snapshot", v, where);
  });
  return {
    concurrency: optional(o.concurrency, workflowRunDefaults.concurrency, (v) =>
      v === Infinity ? Infinity : positiveInt(v, "concurrency", where),
    ),
    signal: optional(o.signal, undefined, (v) => abortSignal(v, "signal", where)),
    clock: optional(o.clock, systemClock, (v) => {
      const c = plainObjectLike(v, "clock", where) as Partial<Clock>;
      if (typeof c.now !== "function" || typeof c.setTimer !== "function") {
        throw new InvalidOptionError("clock", "a Clock (now, setTimer)", v, where);
      }
      return v as Clock;
    }),
    timerResolutionMs: optional(o.timerResolutionMs, o.clock === undefined ? 10 : 0, (v) =>
      nonNegativeNumber(v, "timerResolutionMs", where),
    ),
    random: optional(o.random, Math.random, (v) => func<() => number>(v, "random", where)),
    reuse,
    only: optional(o.only, undefined, (v) => {
      if (!Array.isArray(v)) throw new InvalidOptionError("only", "an array of task names", v, where);
      return Object.freeze(v.map((name, i) => nonEmptyString(name, `only[${i}]`, where)));
    }),
    events: optional(o.events, undefined, (v) => {
      if (!isEventSink(v))
        throw new InvalidOptionError("events", "an EventBus (an object with has and emit)", v, where);
      return v as EventSink<WorkflowEvents>;
    }),
    maxAddedTasks: optional(o.maxAddedTasks, workflowRunDefaults.maxAddedTasks, (v) =>
      nonNegativeInt(v, "maxAddedTasks", where),
    ),
    yieldEvery: optional(o.yieldEvery, workflowRunDefaults.yieldEvery, (v) => positiveInt(v, "yieldEvery", where)),
    dashboard: optional(o.dashboard, false, (v) => checkRunDashboard(v, where)),
  };
}

function plainObjectLike(v: unknown, option: string, where: string): object {
  if (typeof v !== "object" || v === null) throw new InvalidOptionError(option, "an object", v, where);
  return v;
}
