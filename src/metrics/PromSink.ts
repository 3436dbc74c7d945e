import type { Metric, Registry } from "prom-client";
import type { MetricsSink, MetricsSource } from "../stats/MetricsSink.js";
import { families, type Family } from "./families.js";
import { Frame, type Series } from "./Frame.js";
import { readPipeline } from "./readPipeline.js";
import { readWorkflow } from "./readWorkflow.js";

/** One sample as prom-client formats it. */
interface PromValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * A {@link MetricsSink} publishing to a prom-client registry. Registers weir's metrics once, as
 * collectors read at scrape time: a scrape reads every live run's counters (no work per item),
 * adds the totals of the runs that ended (so counters never go back), and combines runs of one
 * pipeline under its labels. Worker threads and child processes report to the main thread
 * over the pool's own messages, so their numbers need no cluster aggregator.
 */
export class PromSink implements MetricsSink {
  /** The registry it publishes to. */
  readonly registry: Registry;
  /** Histogram bounds, seconds. */
  readonly buckets: readonly number[];
  readonly #live = new Set<MetricsSource>();
  /** Counters and histograms of the runs that ended. */
  readonly #ended = new Frame();
  /** The frame of the scrape under way: computed once for all of the registry's metrics. */
  #frame: Frame | undefined;

  constructor(registry: Registry, buckets: readonly number[]) {
    this.registry = registry;
    this.buckets = buckets;
    for (const family of Object.values(families)) {
      const metric = {
        name: family.name,
        help: family.help,
        type: family.type,
        aggregator: "sum",
        collect: undefined,
        get: () => Promise.resolve(this.#get(family)),
        reset: () => undefined,
      };
      registry.registerMetric(metric as unknown as Metric);
    }
  }

  attach(source: MetricsSource): () => void {
    this.#live.add(source);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      // the run's last reading is final: its counters join the totals of ended runs
      const last = new Frame();
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

  #get(family: Family): { name: string; help: string; type: string; aggregator: string; values: PromValue[] } {
    const series = this.#scrape().series.get(family);
    const values: PromValue[] = [];
    if (series !== undefined) for (const s of series.values()) this.#format(family, s, values);
    return { name: family.name, help: family.help, type: family.type, aggregator: "sum", values };
  }

  /** The frame of this scrape: the registry asks each metric in turn, synchronously; read once. */
  #scrape(): Frame {
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

  #format(family: Family, s: Series, out: PromValue[]): void {
    if (s.buckets === undefined) {
      out.push({ value: s.value, labels: { ...s.labels } });
      return;
    }
    this.buckets.forEach((le, i) =>
      out.push({ metricName: `${family.name}_bucket`, value: s.buckets![i]!, labels: { ...s.labels, le } }),
    );
    out.push({ metricName: `${family.name}_bucket`, value: s.value, labels: { ...s.labels, le: "+Inf" } });
    out.push({ metricName: `${family.name}_sum`, value: s.sum, labels: { ...s.labels } });
    out.push({ metricName: `${family.name}_count`, value: s.value, labels: { ...s.labels } });
  }
}
