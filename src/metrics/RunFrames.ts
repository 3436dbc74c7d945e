import type { MetricsSink, MetricsSource } from "../stats/MetricsSink.js";
import { families } from "./families.js";
import { Frame } from "./Frame.js";
import { readPipeline } from "./readPipeline.js";
import { readWorkflow } from "./readWorkflow.js";

/**
 * The runs a metrics sink reads, as {@link Frame}s (weir's metric families, labelled): what
 * prom-client's and OpenTelemetry's sinks share. A frame reads every live run's counters (no
 * work per item) and adds the totals of the runs that ended, so counters never go back; runs of
 * one pipeline combine under its labels.
 */
export class RunFrames implements MetricsSink {
  /** Histogram bounds, seconds. */
  readonly buckets: readonly number[];
  readonly #live = new Set<MetricsSource>();
  /** Counters and histograms of the runs that ended. */
  readonly #ended = new Frame();
  /** The frame being collected: computed once for all of a collection's metrics. */
  #frame: Frame | undefined;

  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
  }

  attach(source: MetricsSource): () => void {
    this.#live.add(source);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      // the run's last reading is final: its counters join the totals of ended runs
      const last = new Frame(true);
      this.#read(last, source);
      this.#ended.addTotals(last);
      this.#live.delete(source);
      this.#frame = undefined;
    };
  }

  /** Runs being read now. */
  get liveRuns(): number {
    return this.#live.size;
  }

  /**
   * The frame of this collection: read once, and reused until the current task's microtasks ran
   * (a registry asks for each metric in turn, synchronously).
   */
  frame(): Frame {
    if (this.#frame !== undefined) return this.#frame;
    const frame = this.#ended.totals();
    for (const source of this.#live) this.#read(frame, source);
    this.#frame = frame;
    queueMicrotask(() => {
      if (this.#frame === frame) this.#frame = undefined;
    });
    return frame;
  }

  #read(frame: Frame, source: MetricsSource): void {
    const reading = source.read();
    frame.add(families.runs, { [source.kind]: source.name }, this.#live.has(source) ? 1 : 0);
    if (reading.kind === "pipeline") readPipeline(frame, source.name, reading, this.buckets);
    else readWorkflow(frame, source.name, reading, this.buckets);
  }
}
