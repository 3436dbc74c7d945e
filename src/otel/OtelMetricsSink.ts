import type { Attributes, BatchObservableResult, Meter, Observable } from "@opentelemetry/api";
import { families, type Family } from "../metrics/families.js";
import { RunFrames } from "../metrics/RunFrames.js";
import type { MetricsSink, MetricsSource } from "../stats/MetricsSink.js";

/** The instruments of one family: one for a counter or gauge, three for a histogram. */
interface Instruments {
  readonly family: Family;
  readonly value: Observable;
  /** A histogram's cumulative buckets (`le` attribute), sum and count, as counters. */
  readonly histogram: { readonly bucket: Observable; readonly sum: Observable; readonly count: Observable } | undefined;
}

/**
 * A {@link MetricsSink} publishing to an OpenTelemetry meter: weir's metric families (the same
 * names, labels and values as `weir/metrics` publishes to prom-client) as asynchronous
 * instruments, read from the runs' counters when the meter's reader collects (nothing per item).
 * Counters are observable counters, gauges observable gauges. The OpenTelemetry API has no
 * asynchronous histogram, so a histogram is published the way Prometheus' text format spells it:
 * counters `<name>_bucket` (attribute `le`, cumulative, `+Inf` included), `<name>_sum` and `<name>_count`.
 */
export class OtelMetricsSink implements MetricsSink {
  /** The meter it publishes to. */
  readonly meter: Meter;
  /** Histogram bounds, seconds. */
  readonly buckets: readonly number[];
  readonly #runs: RunFrames;
  readonly #instruments: Instruments[] = [];

  constructor(meter: Meter, buckets: readonly number[]) {
    this.meter = meter;
    this.buckets = buckets;
    this.#runs = new RunFrames(buckets);
    const observables: Observable[] = [];
    for (const family of Object.values(families)) {
      const options = { description: family.help, ...(family.name.includes("_seconds") ? { unit: "s" } : {}) };
      if (family.type === "histogram") {
        const histogram = {
          bucket: meter.createObservableCounter(`${family.name}_bucket`, {
            description: `${family.help} (cumulative buckets)`,
          }),
          sum: meter.createObservableCounter(`${family.name}_sum`, options),
          count: meter.createObservableCounter(`${family.name}_count`, { description: `${family.help} (samples)` }),
        };
        observables.push(histogram.bucket, histogram.sum, histogram.count);
        this.#instruments.push({ family, value: histogram.count, histogram });
      } else {
        const value =
          family.type === "counter"
            ? meter.createObservableCounter(family.name, options)
            : meter.createObservableGauge(family.name, options);
        observables.push(value);
        this.#instruments.push({ family, value, histogram: undefined });
      }
    }
    meter.addBatchObservableCallback((result) => this.#observe(result), observables);
  }

  attach(source: MetricsSource): () => void {
    return this.#runs.attach(source);
  }

  /** Runs being read now. */
  get liveRuns(): number {
    return this.#runs.liveRuns;
  }

  #observe(result: BatchObservableResult): void {
    const frame = this.#runs.frame();
    for (const { family, value, histogram } of this.#instruments) {
      const series = frame.series.get(family);
      if (series === undefined) continue;
      for (const s of series.values()) {
        const labels: Attributes = s.labels;
        if (histogram === undefined || s.buckets === undefined) {
          result.observe(value, s.value, labels);
          continue;
        }
        this.buckets.forEach((le, i) =>
          result.observe(histogram.bucket, s.buckets![i]!, { ...labels, le: String(le) }),
        );
        result.observe(histogram.bucket, s.value, { ...labels, le: "+Inf" });
        result.observe(histogram.sum, s.sum, labels);
        result.observe(histogram.count, s.value, labels);
      }
    }
  }
}
