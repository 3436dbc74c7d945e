/**
 * weir/otel with the real OpenTelemetry SDK: spans recorded through sdk-trace-base's
 * InMemorySpanExporter, metrics through sdk-metrics' InMemoryMetricExporter, checked against a
 * known run (exact counts), and against what weir/metrics publishes to prom-client for the same run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Registry } from "prom-client";
import { InvalidOptionError, pipeline, workflow, type MetricsSink } from "../../src/index.js";
import { metrics } from "../../src/metrics.js";
import { otel, otelMetrics, tracing } from "../../src/otel.js";
import { parseExposition } from "../metrics/parseExposition.js";
import { orders } from "../metrics/ordersPipeline.js";

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("weir-test") };
}

function meter() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  /** Collects now; every point by metric name. */
  const collect = async (): Promise<Map<string, DataPoint<number>[]>> => {
    exporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, DataPoint<number>[]>();
    for (const rm of exporter.getMetrics())
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) byName.set(m.descriptor.name, m.dataPoints as DataPoint<number>[]);
    return byName;
  };
  return { meter: provider.getMeter("weir-test"), collect, shutdown: () => provider.shutdown() };
}

/** The value of the point of `name` whose attributes are exactly `attributes`. */
function point(points: Map<string, DataPoint<number>[]>, name: string, attributes: Record<string, string>): number {
  const matches = (points.get(name) ?? []).filter(
    (p) =>
      Object.keys(p.attributes).length === Object.keys(attributes).length &&
      Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
  assert.equal(matches.length, 1, `${name} ${JSON.stringify(attributes)}: ${matches.length} points`);
  return matches[0]!.value;
}

describe("weir/otel: spans", () => {
  it("a span per attempt or batch of each stage, linked to the run's span, with error status on failures", async () => {
    const { exporter, tracer: t } = tracer();
    const sink: number[] = [];
    await orders(sink).run({ tracer: tracing(t) });
    assert.equal(sink.length, 39);
    const spans = exporter.getFinishedSpans();
    const runs = spans.filter((s) => s.name === "weir pipeline orders");
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.attributes["weir.pipeline"], "orders");
    assert.equal(run.status.code, 0, "the run succeeded: status unset");
    const of = (stage: string) => spans.filter((s) => s.attributes["weir.stage"] === stage);
    // async stages: one span per attempt; 50 + 10 retries in charge
    assert.equal(of("even").length, 100);
    assert.equal(of("charge").length, 60);
    assert.equal(of("ship").length, 40);
    // the fused inline sink: a span per batch, whose items add up to what it received
    const store = of("store");
    assert.ok(store.length >= 1 && store.length <= 39);
    assert.equal(
      store.reduce((n, s) => n + (s.attributes["weir.items"] as number), 0),
      39,
    );
    for (const s of spans) {
      if (s === run) continue;
      assert.equal(s.name, `weir stage ${s.attributes["weir.stage"]}`);
      assert.equal(s.attributes["weir.pipeline"], "orders");
      assert.ok(
        ["inline", "async"].includes(s.attributes["weir.context"] as string),
        String(s.attributes["weir.context"]),
      );
      assert.equal(s.parentSpanContext, undefined, "a root span");
      assert.deepEqual(
        s.links.map((l) => l.context.spanId),
        [run.spanContext().spanId],
      );
      assert.equal(s.links[0]!.context.traceId, run.spanContext().traceId);
    }
    const failedCharges = of("charge").filter((s) => s.status.code === 2);
    assert.equal(failedCharges.length, 20, "10 items failed twice");
    for (const s of failedCharges) {
      assert.equal(s.attributes["error.type"], "EDECLINED");
      assert.match(s.status.message ?? "", /card declined/);
      assert.equal(s.events[0]?.name, "exception");
    }
    const failedShips = of("ship").filter((s) => s.status.code === 2);
    assert.equal(failedShips.length, 1);
    assert.equal(failedShips[0]!.attributes["error.type"], "none");
    assert.equal(of("even").filter((s) => s.status.code === 2).length, 0);
  });

  it("a failed run's span has an error status", async () => {
    const { exporter, tracer: t } = tracer();
    const run = pipeline("broken")
      .from([1, 2, 3])
      .map(
        async (x: number) => {
          if (x === 2) throw new Error("bad item");
          return x;
        },
        { name: "explode" },
      )
      .to(() => {}, { name: "drop" })
      .run({ tracer: tracing(t) });
    await assert.rejects(run);
    const spans = exporter.getFinishedSpans();
    const runSpan = spans.find((s) => s.name === "weir pipeline broken")!;
    assert.equal(runSpan.status.code, 2);
    assert.equal(runSpan.attributes["error.type"], "WEIR_STAGE_FAILED");
    assert.equal(spans.filter((s) => s.attributes["weir.stage"] === "explode" && s.status.code === 2).length, 1);
  });

  it("a span per workflow task that ran, linked to the run's span; failed tasks have an error status", async () => {
    const { exporter, tracer: t } = tracer();
    const wf = workflow("nightly")
      .task("a", async () => 1)
      .task("b", { after: ["a"] }, async () => 2)
      .task("c", async () => {
        throw new Error("boom");
      });
    await wf.run({ tracer: tracing(t) }).catch(() => undefined);
    const spans = exporter.getFinishedSpans();
    const run = spans.find((s) => s.name === "weir workflow nightly")!;
    assert.equal(run.attributes["weir.workflow"], "nightly");
    const tasks = spans.filter((s) => s.attributes["weir.task"] !== undefined);
    assert.deepEqual(tasks.map((s) => s.name).sort(), ["weir task a", "weir task b", "weir task c"]);
    for (const s of tasks) {
      assert.equal(s.links[0]!.context.spanId, run.spanContext().spanId);
      assert.equal(s.attributes["weir.workflow"], "nightly");
      assert.equal(s.attributes["weir.attempts"], 1);
    }
    const c = tasks.find((s) => s.name === "weir task c")!;
    assert.equal(c.status.code, 2);
    assert.equal(c.status.message, "boom");
    assert.equal(c.attributes["weir.task.state"], "failed");
    assert.equal(tasks.find((s) => s.name === "weir task a")!.attributes["weir.task.state"], "completed");
    assert.equal(tasks.find((s) => s.name === "weir task a")!.status.code, 0);
  });
});

describe("weir/otel: metrics through a meter", () => {
  it("exact counts of a known run", async () => {
    const m = meter();
    await orders([]).run({ metrics: otelMetrics(m.meter) });
    const points = await m.collect();
    const at = (stage: string): Record<string, string> => ({
      pipeline: "orders",
      stage,
      context: stage === "store" ? "inline" : "async",
    });
    assert.equal(point(points, "weir_stage_items_received_total", at("even")), 100);
    assert.equal(point(points, "weir_stage_items_emitted_total", at("even")), 50);
    assert.equal(point(points, "weir_stage_items_failed_total", { ...at("charge"), code: "EDECLINED" }), 20);
    assert.equal(point(points, "weir_stage_items_retried_total", at("charge")), 10);
    assert.equal(point(points, "weir_stage_items_dead_lettered_total", at("charge")), 10);
    assert.equal(point(points, "weir_stage_items_dropped_total", { ...at("ship"), reason: "skipped" }), 1);
    assert.equal(point(points, "weir_stage_items_received_total", at("store")), 39);
    assert.equal(point(points, "weir_stage_attempt_duration_seconds_count", at("charge")), 60);
    assert.equal(point(points, "weir_stage_attempt_duration_seconds_bucket", { ...at("charge"), le: "+Inf" }), 60);
    await m.shutdown();
  });

  it("the same samples as weir/metrics publishes to prom-client for the same run", async () => {
    const m = meter();
    const registry = new Registry();
    const prom = metrics(registry);
    const viaOtel = otelMetrics(m.meter);
    // both sinks read the same run (a MetricsSink is a public interface)
    const both: MetricsSink = {
      attach(source) {
        const a = prom.attach(source);
        const b = viaOtel.attach(source);
        return () => {
          a();
          b();
        };
      },
    };
    await orders([]).run({ metrics: both });
    const exp = parseExposition(await registry.metrics());
    const points = await m.collect();
    assert.ok(exp.samples.length > 100, `${exp.samples.length} samples`);
    for (const s of exp.samples)
      assert.equal(point(points, s.name, s.labels), s.value, `${s.name} ${JSON.stringify(s.labels)}`);
    const otelPoints = [...points.values()].reduce((n, ps) => n + ps.length, 0);
    assert.equal(otelPoints, exp.samples.length, "no point that prom-client does not have");
    await m.shutdown();
  });

  it("one sink per meter; workflows too", async () => {
    const m = meter();
    assert.equal(otelMetrics(m.meter), otelMetrics(m.meter));
    await workflow("wf")
      .task("a", async () => 1)
      .task("b", { after: ["a"] }, async () => 2)
      .run({ ...otel({ meter: m.meter }) });
    const points = await m.collect();
    assert.equal(point(points, "weir_workflow_tasks_ended_total", { workflow: "wf", state: "completed" }), 2);
    assert.equal(point(points, "weir_workflow_task_duration_seconds_count", { workflow: "wf" }), 2);
    await m.shutdown();
  });
});

describe("weir/otel: bad options are coded errors", () => {
  it("refuses what is not a meter, a tracer or known options", () => {
    const { tracer: t } = tracer();
    const m = meter();
    const bad: Array<[() => unknown, RegExp]> = [
      [() => otelMetrics({} as never), /meter/],
      [() => otelMetrics(null as never), /meter/],
      [() => otelMetrics(m.meter, { buckets: [2, 1] }), /buckets/],
      [() => otelMetrics(m.meter, { bucket: [1] } as never), /bucket/],
      [() => tracing({} as never), /tracer/],
      [() => otel({}), /a meter or a tracer/],
      [() => otel({ tracer: t, meter: m.meter, extra: 1 } as never), /extra/],
      [
        () =>
          pipeline("p")
            .from([1])
            .to(() => {})
            .run({ tracer: {} as never }),
        /tracer/,
      ],
      [
        () =>
          workflow("w")
            .task("a", async () => 1)
            .run({ tracer: 5 as never }),
        /tracer/,
      ],
    ];
    for (const [call, message] of bad)
      assert.throws(
        call,
        (e: unknown) => InvalidOptionError.is(e) && e.code === "WEIR_INVALID_OPTION" && message.test(e.message),
      );
  });

  it("otel() gives both options", () => {
    const { tracer: t } = tracer();
    const m = meter();
    const both = otel({ tracer: t, meter: m.meter });
    assert.equal(both.metrics, otelMetrics(m.meter));
    assert.equal(typeof both.tracer?.start, "function");
    assert.deepEqual(Object.keys(otel({ tracer: t })), ["tracer"]);
  });
});
