import { LatencyHistogram } from "./LatencyHistogram.js";
import type { StageTrace } from "./RunTracer.js";

/**
 * A stage's duration histogram that also reports each recording to the stage's trace: the
 * engine records once per attempt (async and pool stages) or per batch (fused inline chunks,
 * `batch()` stages), so a traced run gets a span for each, and an untraced run never has this class.
 */
export class TracedLatencyHistogram extends LatencyHistogram {
  readonly #trace: StageTrace;

  constructor(trace: StageTrace) {
    super();
    this.#trace = trace;
  }

  /** True: every recording is a span the trace reports, so the engine records item by item. */
  override get tracesAttempts(): boolean {
    return true;
  }

  /** Records `n` samples of `ms` each, and reports them as one attempt of `n` items taking `ms * n`. */
  override recordMany(ms: number, n: number): void {
    super.recordMany(ms, n);
    this.#trace.attempt(ms * n, n);
  }
}
