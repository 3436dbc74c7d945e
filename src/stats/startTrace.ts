import type { RunTrace, RunTracer, StageTrace, TracedRun } from "./RunTracer.js";

/** The `code` of the warning a run emits when its tracer threw. */
export const TRACER_FAILED = "WEIR_TRACER_FAILED";

/**
 * Starts `tracer`'s trace of `run`, guarded: a tracer is observability, and an error it throws
 * (from `start`, `stage`, a stage's `attempt` or `failed`, `task` or `end`) must not fail the
 * run, lose its items or, thrown from a promise callback, end the process. The first such error
 * is reported once with `process.emitWarning` (code {@link TRACER_FAILED}, naming the run and the
 * method); the trace then hears nothing more but the run's end, and the run goes on untraced.
 * Undefined when there is no tracer, or when its `start` threw.
 */
export function startTrace(tracer: RunTracer | undefined, run: TracedRun): RunTrace | undefined {
  if (tracer === undefined) return undefined;
  let failed = false;
  const fail = (method: string, error: unknown): void => {
    if (failed) return;
    failed = true;
    process.emitWarning(
      `weir: the tracer of ${run.kind} "${run.name}" threw in ${method}(); the run goes on untraced: ${String(error)}`,
      { code: TRACER_FAILED, detail: error instanceof Error ? error.stack : undefined },
    );
  };
  let trace: RunTrace;
  try {
    trace = tracer.start(run);
  } catch (error) {
    fail("start", error);
    return undefined;
  }
  /**
   * Calls the tracer unless it failed before (`always`: even then), reporting its first error
   * (for the calls made once per run or task; a stage's calls are guarded in place below).
   */
  const guarded = (method: string, call: () => void, always = false): void => {
    if (failed && !always) return;
    try {
      call();
    } catch (thrown) {
      fail(method, thrown);
    }
  };
  // called per attempt: no closure per call
  const guardStage = (t: StageTrace): StageTrace => ({
    failed(error) {
      if (failed) return;
      try {
        t.failed(error);
      } catch (thrown) {
        fail("failed", thrown);
      }
    },
    attempt(durationMs, items) {
      if (failed) return;
      try {
        t.attempt(durationMs, items);
      } catch (thrown) {
        fail("attempt", thrown);
      }
    },
  });
  return {
    stage(stage) {
      let t: StageTrace | undefined;
      guarded("stage", () => (t = trace.stage(stage)));
      return t === undefined || failed ? undefined : guardStage(t);
    },
    task: (task, nowMs) => guarded("task", () => trace.task(task, nowMs)),
    // still ended after an earlier error, so the tracer can close what it opened for the run
    end: (ok, error) => guarded("end", () => trace.end(ok, error), true),
  };
}
