import type { Meter, Tracer } from "@opentelemetry/api";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { checkBuckets } from "../metrics/checkBuckets.js";
import { defaultBuckets } from "../metrics/families.js";
import { optionKeys } from "../options/optionKeys.js";
import { knownKeys, optional, plainObject } from "../options/validate.js";
import type { MetricsSink } from "../stats/MetricsSink.js";
import type { RunTracer } from "../stats/RunTracer.js";
import { OtelMetricsSink } from "./OtelMetricsSink.js";
import { OtelTracer } from "./OtelTracer.js";

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /**
   * Bounds of the duration histograms, in seconds, ascending (one set per meter: the first call
   * on a meter sets them).
   * @default 0.5 ms to 300 s (17 bounds), as `weir/metrics`
   */
  readonly buckets?: readonly number[];
}

/** Options of {@link otel}: a meter, a tracer, or both. */
export interface OtelOptions extends OtelMetricsOptions {
  /** Publishes the runs' metrics through this meter (see {@link otelMetrics}). */
  readonly meter?: Meter;
  /** Records spans with this tracer (see {@link tracing}). */
  readonly tracer?: Tracer;
}

/** What {@link otel} returns: spread it into `run()`'s options. */
export interface OtelRunOptions {
  /** The `metrics` option, when a meter was given. */
  readonly metrics?: MetricsSink;
  /** The `tracer` option, when a tracer was given. */
  readonly tracer?: RunTracer;
}

/** The sink of each meter: weir's instruments are created once per meter. */
const sinks = new WeakMap<Meter, OtelMetricsSink>();

/**
 * A metrics sink publishing to an OpenTelemetry meter: pass it as `run({ metrics })` (pipelines
 * and workflows), as `metrics(registry)` from `"weir/metrics"` is passed. The same metric names,
 * labels (as attributes) and values, read when the meter's reader collects; a histogram comes
 * as `<name>_bucket` (attribute `le`), `<name>_sum` and `<name>_count` counters (the API has no
 * asynchronous histogram). One sink per meter: any number of runs share it.
 *
 * @throws InvalidOptionError when `meter` is not an OpenTelemetry Meter, or `buckets` is not an
 *   ascending list of positive numbers (or differs from the meter's first call)
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { otelMetrics } from "weir/otel";
 * await p.run({ metrics: otelMetrics(metrics.getMeter("my-app")) });
 * ```
 */
export function otelMetrics(meter: Meter, options: OtelMetricsOptions = {}): MetricsSink {
  const where = "otelMetrics()";
  const m = meter as Partial<Meter> | null;
  if (
    typeof m !== "object" ||
    m === null ||
    typeof m.createObservableCounter !== "function" ||
    typeof m.createObservableGauge !== "function" ||
    typeof m.addBatchObservableCallback !== "function"
  )
    throw new InvalidOptionError("meter", "an OpenTelemetry Meter (metrics.getMeter(name))", meter, where);
  const o = plainObject(options, "options", where);
  knownKeys(o, optionKeys<OtelMetricsOptions>()("buckets"), "", where);
  const buckets = optional(o.buckets, defaultBuckets, (v) => checkBuckets(v, where));
  const existing = sinks.get(meter);
  if (existing !== undefined) {
    if (o.buckets !== undefined && existing.buckets.join() !== buckets.join())
      throw new InvalidOptionError(
        "buckets",
        `the bounds this meter was first given (${existing.buckets.join(", ")})`,
        buckets,
        where,
      );
    return existing;
  }
  const sink = new OtelMetricsSink(meter, buckets);
  sinks.set(meter, sink);
  return sink;
}

/**
 * A run tracer recording to an OpenTelemetry tracer: pass it as `run({ tracer })` (pipelines and
 * workflows). Each run gets a span (a child of the context active when it starts); each attempt
 * of an async or pool stage, each batch of a fused inline or `batch()` stage, and each workflow
 * task that ran gets a root span linked to the run's span, with attributes `weir.pipeline`,
 * `weir.stage`, `weir.context`, `weir.items` (or `weir.workflow`, `weir.task`,
 * `weir.task.state`, `weir.attempts`), and an error status when it failed.
 *
 * @throws InvalidOptionError when `tracer` is not an OpenTelemetry Tracer
 * @example
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import { tracing } from "weir/otel";
 * await p.run({ tracer: tracing(trace.getTracer("my-app")) });
 * ```
 */
export function tracing(tracer: Tracer): RunTracer {
  if (typeof (tracer as Partial<Tracer> | null)?.startSpan !== "function")
    throw new InvalidOptionError("tracer", "an OpenTelemetry Tracer (trace.getTracer(name))", tracer, "tracing()");
  return new OtelTracer(tracer);
}

/**
 * Both at once: `run({ ...otel({ meter, tracer }) })` sets `metrics` from the meter and `tracer`
 * from the tracer (either may be left out, not both).
 *
 * @throws InvalidOptionError for an unknown option, neither `meter` nor `tracer`, or a bad one
 * @example
 * ```ts
 * await p.run({ ...otel({ meter: metrics.getMeter("app"), tracer: trace.getTracer("app") }) });
 * ```
 */
export function otel(options: OtelOptions): OtelRunOptions {
  const where = "otel()";
  const o = plainObject(options, "options", where);
  knownKeys(o, optionKeys<OtelOptions>()("meter", "tracer", "buckets"), "", where);
  if (o.meter === undefined && o.tracer === undefined)
    throw new InvalidOptionError("meter", "a meter or a tracer (or both)", undefined, where);
  const buckets = o.buckets === undefined ? {} : { buckets: o.buckets as readonly number[] };
  return {
    ...(o.meter === undefined ? {} : { metrics: otelMetrics(o.meter as Meter, buckets) }),
    ...(o.tracer === undefined ? {} : { tracer: tracing(o.tracer as Tracer) }),
  };
}
