/**
 * weir/otel: OpenTelemetry for runs. Spans per stage attempt, batch or workflow task (linked to
 * a span per run), and weir's metrics through an OpenTelemetry meter. `@opentelemetry/api` is an
 * optional peer dependency, used for its types only: weir loads no OpenTelemetry package (the
 * meter and tracer are yours), and `weir` itself never imports this subpath.
 *
 * @example
 * ```ts
 * import { metrics, trace } from "@opentelemetry/api";
 * import { otel } from "weir/otel";
 * await p.run({ ...otel({ meter: metrics.getMeter("app"), tracer: trace.getTracer("app") }) });
 * ```
 * @packageDocumentation
 */
export {
  otel,
  otelMetrics,
  tracing,
  type OtelOptions,
  type OtelMetricsOptions,
  type OtelRunOptions,
} from "./otel/otel.js";
export { OtelMetricsSink } from "./otel/OtelMetricsSink.js";
export { OtelTracer } from "./otel/OtelTracer.js";
export type { RunTracer, RunTrace, StageTrace, TracedRun } from "./stats/RunTracer.js";
