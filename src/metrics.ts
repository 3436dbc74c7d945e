/**
 * weir/metrics: publishes runs' counters to prom-client (an optional peer dependency) and serves
 * them on loopback. A subpath of its own: `weir` itself never loads prom-client.
 *
 * @example
 * ```ts
 * import { Registry } from "prom-client";
 * import { metrics, serveMetrics } from "weir/metrics";
 * const registry = new Registry();
 * const server = await serveMetrics({ port: 9464, registry });
 * await p.run({ metrics: metrics(registry) });
 * ```
 * @packageDocumentation
 */
export { metrics, type MetricsOptions } from "./metrics/metrics.js";
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from "./metrics/serveMetrics.js";
export { families as metricFamilies, defaultBuckets, type Family as MetricFamily } from "./metrics/families.js";
export { PromSink } from "./metrics/PromSink.js";
export type {
  MetricsSink,
  MetricsSource,
  MetricsReading,
  PipelineReading,
  StageReading,
  PoolReading,
  WorkflowReading,
  DurationHistogram,
} from "./stats/MetricsSink.js";
