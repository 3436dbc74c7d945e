import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { pipeline, workflow, WeirError, InvalidOptionError } from "../../src/index.js";
import { metrics, serveMetrics } from "../../src/metrics.js";
import { parseExposition, value } from "./parseExposition.js";
import { orders } from "./ordersPipeline.js";

describe("weir/metrics: counters of a known run, exactly", () => {
  it("counts received, emitted, failed by code, retried, dead-lettered and dropped per stage", async () => {
    const registry = new Registry();
    const sink: number[] = [];
    const result = await orders(sink).run({ metrics: metrics(registry) });
    assert.equal(sink.length, 39);
    const exp = parseExposition(await registry.metrics());
    const at = (stage: string): Record<string, string> => ({ pipeline: "orders", stage });
    assert.equal(value(exp, "weir_stage_items_received_total", at("even")), 100);
    assert.equal(value(exp, "weir_stage_items_emitted_total", at("even")), 50);
    assert.equal(value(exp, "weir_stage_items_received_total", at("charge")), 50);
    assert.equal(value(exp, "weir_stage_items_emitted_total", at("charge")), 40);
    assert.equal(value(exp, "weir_stage_items_failed_total", { ...at("charge"), code: "EDECLINED" }), 20);
    assert.equal(value(exp, "weir_stage_items_retried_total", at("charge")), 10);
    assert.equal(value(exp, "weir_stage_items_dead_lettered_total", at("charge")), 10);
    assert.equal(value(exp, "weir_stage_items_failed_total", { ...at("ship"), code: "none" }), 1);
    assert.equal(value(exp, "weir_stage_items_dropped_total", { ...at("ship"), reason: "skipped" }), 1);
    assert.equal(value(exp, "weir_stage_items_dropped_total", { ...at("ship"), reason: "overflow" }), 0);
    assert.equal(value(exp, "weir_stage_items_received_total", at("store")), 39);
    // one attempt recorded per attempt: 50 + 10 retries in charge
    assert.equal(value(exp, "weir_stage_attempt_duration_seconds_count", at("charge")), 60);
    assert.equal(value(exp, "weir_stage_attempt_duration_seconds_bucket", { ...at("charge"), le: "+Inf" }), 60);
    // the counts match the run's own stats
    for (const [name, s] of Object.entries(result.stats)) {
      assert.equal(value(exp, "weir_stage_items_received_total", at(name)), s.in, name);
      assert.equal(value(exp, "weir_stage_items_emitted_total", at(name)), s.out, name);
      assert.equal(value(exp, "weir_stage_busy_seconds_total", at(name)), s.busyMs / 1000, name);
    }
    // the run ended: gauges of live runs are gone, the totals stay
    assert.equal(
      exp.samples.some((s) => s.name === "weir_runs_active" || s.name === "weir_stage_in_flight"),
      false,
    );
    assert.equal(exp.types.get("weir_stage_items_received_total"), "counter");
    assert.equal(exp.types.get("weir_stage_attempt_duration_seconds"), "histogram");
    // no run or item ids among the labels
    const labelNames = new Set(exp.samples.flatMap((s) => Object.keys(s.labels)));
    assert.deepEqual(
      [...labelNames].sort(),
      ["code", "context", "le", "pipeline", "reason", "stage"].filter((l) => labelNames.has(l)),
    );
  });

  it("adds up the runs of one pipeline, and histogram buckets are cumulative", async () => {
    const registry = new Registry();
    const sink = metrics(registry);
    for (let i = 0; i < 3; i++) await orders([]).run({ metrics: sink });
    const exp = parseExposition(await registry.metrics());
    assert.equal(value(exp, "weir_stage_items_received_total", { pipeline: "orders", stage: "even" }), 300);
    assert.equal(
      value(exp, "weir_stage_items_failed_total", { pipeline: "orders", stage: "charge", code: "EDECLINED" }),
      60,
    );
    const buckets = exp.samples.filter(
      (s) => s.name === "weir_stage_attempt_duration_seconds_bucket" && s.labels.stage === "charge",
    );
    assert.equal(buckets.length, 18, "17 bounds and +Inf");
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
    assert.equal(buckets.at(-1)!.value, 180);
  });

  it("reads a live run at scrape time: queue depth, capacity, in flight, limit", async () => {
    const registry = new Registry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("live")
      .from(Array.from({ length: 40 }, (_, i) => i))
      .map(
        async (x: number) => {
          await gate;
          return x;
        },
        { name: "wait", concurrency: 4, capacity: 8 },
      )
      .to(() => {}, { name: "done" })
      .run({ metrics: metrics(registry) });
    // let the source fill the queue
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const exp = parseExposition(await registry.metrics());
    const at = { pipeline: "live", stage: "wait" };
    assert.equal(value(exp, "weir_runs_active", { pipeline: "live" }), 1);
    assert.equal(value(exp, "weir_stage_in_flight", at), 4);
    assert.equal(value(exp, "weir_stage_concurrency_limit", at), 4);
    assert.equal(value(exp, "weir_stage_queue_depth", at), 8);
    assert.equal(value(exp, "weir_stage_queue_capacity", at), 8);
    release();
    await run;
    const after = parseExposition(await registry.metrics());
    assert.equal(value(after, "weir_stage_items_emitted_total", at), 40);
    assert.equal(
      after.samples.some((s) => s.name === "weir_stage_queue_depth"),
      false,
      "an ended run's gauges are gone",
    );
  });

  it("publishes workflow tasks by state and their durations", async () => {
    const registry = new Registry();
    const wf = workflow("nightly")
      .task("a", async () => 1)
      .task("b", { after: ["a"] }, async () => 2)
      .task("c", async () => {
        throw new Error("boom");
      });
    await wf.run({ metrics: metrics(registry) });
    const exp = parseExposition(await registry.metrics());
    assert.equal(value(exp, "weir_workflow_tasks_ended_total", { workflow: "nightly", state: "completed" }), 2);
    assert.equal(value(exp, "weir_workflow_tasks_ended_total", { workflow: "nightly", state: "failed" }), 1);
    assert.equal(value(exp, "weir_workflow_task_duration_seconds_count", { workflow: "nightly" }), 3);
  });

  it("refuses what is not a sink or a registry, naming the option", () => {
    assert.throws(
      () =>
        pipeline("p")
          .from([1])
          .to(() => {})
          .run({ metrics: {} as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "metrics",
    );
    assert.throws(
      () => metrics({} as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "registry",
    );
    assert.throws(
      () => metrics(new Registry(), { buckets: [1, 0.5] }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "buckets",
    );
  });
});

describe("serveMetrics: /metrics on loopback", () => {
  it("serves the text format, parsed back; 404 elsewhere; a taken port is a ListenError", async () => {
    const registry = new Registry();
    await orders([]).run({ metrics: metrics(registry) });
    await using server = await serveMetrics({ registry });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const exp = parseExposition(await res.text());
    assert.equal(value(exp, "weir_stage_items_emitted_total", { pipeline: "orders", stage: "charge" }), 40);
    assert.equal((await fetch(server.url.replace("/metrics", "/other"))).status, 404);
    assert.equal((await fetch(server.url, { method: "POST" })).status, 405);
    await assert.rejects(serveMetrics({ registry, port: server.port }), (e: unknown) => {
      assert.ok(WeirError.is(e));
      assert.equal(e.code, "WEIR_LISTEN_FAILED");
      return true;
    });
  });
});
