import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { isEventSink, type EventSink } from "../../events/EventSink.js";
import type { Store } from "../../store/Store.js";
import {
  abortSignal,
  boolean,
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
import { isMetricsSink, type MetricsSink } from "../../stats/MetricsSink.js";
import { isRunTracer, type RunTracer } from "../../stats/RunTracer.js";
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
   * Publishes the run's task states and durations to a metrics system, read when it is scraped:
   * a `metrics(registry)` from `"weir/metrics"` (prom-client).
   * @default none
   * @example `{ metrics: metrics(registry) }`
   */
  readonly metrics?: MetricsSink;
  /**
   * Records a span per task that ran (from its first attempt to its end, with its state, and
   * an error status when it failed), linked to a span for the run: a `tracing(tracer)` from
   * `"weir/otel"` (OpenTelemetry).
   * @default none
   * @example `{ tracer: tracing(trace.getTracer("my-app")) }`
   */
  readonly tracer?: RunTracer;
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
   * Makes the run durable: a run row (name, plan hash, owner, state) and one row per completed
   * task with its result, written to this store before the task counts as done (a result the
   * store cannot carry fails the task with `WEIR_NOT_SERIALIZABLE`). `resume` continues such a
   * run after a crash or kill: tasks with a stored result never run again. See docs/durability.md.
   * @default none: the run lives in memory only
   * @example `{ store: sqliteStore(), runId: "nightly-2026-12-03" }`
   */
  readonly store?: Store;
  /** The durable run's id (with `store`). @default a random UUID */
  readonly runId?: string;
  /**
   * Continues the stored run with this id (with `store`): only tasks without a stored result run.
   * Refused with `WEIR_PLAN_CHANGED`, naming the tasks, when the definition changed since
   * (`force: true` runs the changed tasks again instead), with `WEIR_RUN_OWNED` while its owner lives.
   * @default none: a new run
   */
  readonly resume?: string;
  /**
   * Accept a changed definition: with `resume`, the changed tasks run again; with `reuse`, the
   * changed tasks run again with their descendants (without it, both refuse with `WEIR_PLAN_CHANGED`).
   * @default false
   */
  readonly force?: boolean;
  /**
   * What the durable run was started with (msgpack-able data: a date, a tenant), stored in its run
   * row for `weir runs show` and `store.getRun(id).inputs`. Tasks read their inputs from their own
   * closures; this is the record of them. With `store`, not with `resume` (the stored ones stay).
   * @default none
   */
  readonly inputs?: unknown;
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
  readonly metrics: MetricsSink | undefined;
  readonly tracer: RunTracer | undefined;
  readonly maxAddedTasks: number;
  readonly yieldEvery: number;
  /** Set when the run is durable (`store`). */
  readonly durable: DurableRunOptions | undefined;
  readonly force: boolean;
  readonly dashboard: boolean | RunDashboardOptions;
}

/** A durable run's options, validated. */
export interface DurableRunOptions {
  readonly store: Store;
  /** The new run's id (undefined: a random one), or the id of the run to resume. */
  readonly runId: string | undefined;
  readonly resume: boolean;
  /** Stored with a new run's row. */
  readonly inputs: unknown;
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
  metrics: true,
  tracer: true,
  maxAddedTasks: true,
  yieldEvery: true,
  store: true,
  runId: true,
  resume: true,
  force: true,
  inputs: true,
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
  const force = optional(o.force, false, (v) => boolean(v, "force", where));
  return {
    durable: durableOptions(o, where),
    force,
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
    metrics: optional(o.metrics, undefined, (v) => {
      if (!isMetricsSink(v))
        throw new InvalidOptionError("metrics", 'a metrics sink (metrics(registry) from "weir/metrics")', v, where);
      return v;
    }),
    tracer: optional(o.tracer, undefined, (v) => {
      if (!isRunTracer(v))
        throw new InvalidOptionError("tracer", 'a run tracer (tracing(tracer) from "weir/otel")', v, where);
      return v;
    }),
    maxAddedTasks: optional(o.maxAddedTasks, workflowRunDefaults.maxAddedTasks, (v) =>
      nonNegativeInt(v, "maxAddedTasks", where),
    ),
    yieldEvery: optional(o.yieldEvery, workflowRunDefaults.yieldEvery, (v) => positiveInt(v, "yieldEvery", where)),
    dashboard: optional(o.dashboard, false, (v) => checkRunDashboard(v, where)),
  };
}

function durableOptions(o: Record<string, unknown>, where: string): DurableRunOptions | undefined {
  const runId = optional(o.runId, undefined, (v) => nonEmptyString(v, "runId", where));
  const resume = optional(o.resume, undefined, (v) => nonEmptyString(v, "resume", where));
  if (o.store === undefined) {
    if (runId !== undefined)
      throw new InvalidOptionError("store", "a store (runId makes a durable run)", undefined, where);
    if (resume !== undefined) throw new InvalidOptionError("store", "a store to resume the run from", undefined, where);
    if (o.inputs !== undefined)
      throw new InvalidOptionError("store", "a store (inputs are stored with a durable run)", undefined, where);
    return undefined;
  }
  const store = o.store as Partial<Store> | null;
  if (typeof store !== "object" || store === null || typeof store.createRun !== "function") {
    throw new InvalidOptionError("store", "a Store (memoryStore(), sqliteStore())", o.store, where);
  }
  if (resume !== undefined && runId !== undefined) {
    throw new InvalidOptionError("runId", "no runId with resume (resume names the run)", runId, where);
  }
  if (resume !== undefined && o.reuse !== undefined) {
    throw new InvalidOptionError("reuse", "no reuse with resume (the stored run's results are used)", o.reuse, where);
  }
  if (resume !== undefined && o.inputs !== undefined) {
    throw new InvalidOptionError(
      "inputs",
      "no inputs with resume (the run keeps those it started with)",
      o.inputs,
      where,
    );
  }
  return { store: o.store as Store, runId: resume ?? runId, resume: resume !== undefined, inputs: o.inputs };
}

function plainObjectLike(v: unknown, option: string, where: string): object {
  if (typeof v !== "object" || v === null) throw new InvalidOptionError(option, "an object", v, where);
  return v;
}
