import type { Metric, Registry } from "prom-client";
import type { MetricsSink, MetricsSource } from "../stats/MetricsSink.js";
import { families, type Family } from "./families.js";
import type { Series } from "./Frame.js";
import { RunFrames } from "./RunFrames.js";

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
  readonly #runs: RunFrames;

  constructor(registry: Registry, buckets: readonly number[]) {
    this.registry = registry;
    this.buckets = buckets;
    this.#runs = new RunFrames(buckets);
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
    return this.#runs.attach(source);
  }

  /** Runs being read now. */
  get liveRuns(): number {
    return this.#runs.liveRuns;
  }

  #get(family: Family): { name: string; help: string; type: string; aggregator: string; values: PromValue[] } {
    const series = this.#runs.frame().series.get(family);
    const values: PromValue[] = [];
    if (series !== undefined) for (const s of series.values()) this.#format(family, s, values);
    return { name: family.name, help: family.help, type: family.type, aggregator: "sum", values };
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
