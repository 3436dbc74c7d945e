import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { isEventSink } from "../events/EventSink.js";
import {
  abortSignal,
  boolean,
  func,
  knownKeys,
  nonEmptyString,
  nonNegativeNumber,
  plainObject,
} from "../options/validate.js";
import type { Store } from "../store/Store.js";
import { clockOption } from "../time/clockOption.js";
import { MemoryGuard, type MemoryGuardOptions } from "../policy/MemoryGuard.js";
import { isMetricsSink } from "../stats/MetricsSink.js";
import { isRunTracer } from "../stats/RunTracer.js";
import { deadLetterSettings } from "./DeadLetterOptions.js";
import { checkRunDashboard } from "./RunDashboardOptions.js";
import type { RunOptions } from "./RunOptions.js";

/**
 * Every option of `run()`, each with its check. Typed against {@link RunOptions}: an option added
 * there and not here does not compile, so no option goes unchecked (or is refused as unknown).
 */
const checks: { readonly [K in keyof Required<RunOptions>]: (value: unknown, where: string) => void } = {
  signal: (v, where) => void abortSignal(v, "signal", where),
  clock: (v, where) => void clockOption(v, where),
  random: (v, where) => void func(v, "random", where),
  timerResolutionMs: (v, where) => void nonNegativeNumber(v, "timerResolutionMs", where),
  memory: (v, where) => {
    if (v instanceof MemoryGuard) return;
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new InvalidOptionError("memory", "a memoryGuard() or its options", v, where);
    try {
      new MemoryGuard(v as MemoryGuardOptions); // checks the options now; the run makes its own guard on its clock
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      const path = error.option === "options" ? "memory" : `memory.${error.option}`;
      throw new InvalidOptionError(path, error.expected, undefined, where, error.received);
    }
  },
  sourceGate: (v, where) => void func(v, "sourceGate", where),
  deadLetters: (v, where) => void deadLetterSettings(v, where),
  events: (v, where) => {
    if (!isEventSink(v)) throw new InvalidOptionError("events", "an EventBus (an object with has and emit)", v, where);
  },
  store: (v, where) => {
    const s = v as Partial<Store> | null;
    if (typeof s !== "object" || s === null || typeof s.createRun !== "function" || typeof s.resumeRun !== "function")
      throw new InvalidOptionError("store", "a store (sqliteStore() from weir/sqlite, or memoryStore())", v, where);
  },
  runId: (v, where) => void nonEmptyString(v, "runId", where),
  resume: (v, where) => void nonEmptyString(v, "resume", where),
  force: (v, where) => void boolean(v, "force", where),
  metrics: (v, where) => {
    if (!isMetricsSink(v))
      throw new InvalidOptionError("metrics", 'a metrics sink (metrics(registry) from "weir/metrics")', v, where);
  },
  dashboard: (v, where) => void checkRunDashboard(v, where),
  tracer: (v, where) => {
    if (!isRunTracer(v))
      throw new InvalidOptionError("tracer", 'a run tracer (tracing(tracer) from "weir/otel")', v, where);
  },
};

const known = Object.keys(checks);

/**
 * Checks the options of `run()` (and `stream()`, whose own options are listed in `extraKeys` and
 * checked by it) when the call is made, before anything starts: an unknown key (with a "did you
 * mean" when one is close), an AbortController given as `signal`, a negative
 * `timerResolutionMs`… throw an {@link InvalidOptionError} naming the option, what was expected
 * and what was received. Returns the options, typed.
 *
 * @example
 * ```ts
 * run(options: RunOptions = {}): Run {
 *   return new PipelineRun(graph, compiled, validateRunOptions(options, `pipeline "${name}" run()`));
 * }
 * ```
 */
export function validateRunOptions<O extends RunOptions = RunOptions>(
  options: unknown,
  where: string,
  extraKeys: readonly string[] = [],
): O {
  const o = plainObject(options ?? {}, "options", where);
  knownKeys(o, extraKeys.length === 0 ? known : [...known, ...extraKeys], "", where);
  for (const key of known) {
    const value = o[key];
    if (value !== undefined) checks[key as keyof RunOptions](value, where);
  }
  if (o["store"] === undefined) {
    for (const key of ["runId", "resume", "force"]) {
      if (o[key] !== undefined) throw new InvalidOptionError(key, "to be given with store", o[key], where);
    }
  } else if (o["runId"] !== undefined && o["resume"] !== undefined) {
    throw new InvalidOptionError("runId", "runId (a new run) or resume (an existing one), not both", o["runId"], where);
  }
  return o as O;
}
