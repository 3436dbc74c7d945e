import type { Run } from "../run/Run.js";

/**
 * The hook a source object may implement to learn about each run that reads it: called once per
 * run, right after the run opened the source (its iterator made), while the run is being built
 * (its events, `snapshot()` and `then` are usable from the next microtask on). A source that
 * acknowledges what it delivers (a Redis stream, a job queue) follows the run's low watermark
 * (`run.snapshot().lowWatermark`: every item below it is done, dead-lettered or dropped).
 *
 * It may return a function the run calls once every step has ended, and awaits (with its
 * executors' close) before it settles: the source's last acknowledgements are then done when
 * `await run` returns.
 */
export const attachRun: unique symbol = Symbol.for("weir.source.attach-run") as never;

/** A source that wants its runs: see {@link attachRun}. */
export interface RunAwareSource {
  [attachRun](run: Run): (() => Promise<void>) | void;
}

/** Calls `source[attachRun](run)` when the source has it; returns what the run awaits at its end, if anything. */
export function attachSourceToRun(source: unknown, run: Run): (() => Promise<void>) | undefined {
  if (typeof source !== "object" || source === null) return undefined;
  const hook = (source as Partial<RunAwareSource>)[attachRun];
  if (typeof hook !== "function") return undefined;
  const end = hook.call(source, run);
  return typeof end === "function" ? end : undefined;
}
