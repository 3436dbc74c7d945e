import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { pipeline, type Clock } from "../../src/index.js";
import { metrics } from "../../src/metrics.js";
import { parseExposition, value } from "./parseExposition.js";

/** A clock that moves only when told (timers never fire: the run uses none here). */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    setTimer: () => ({ cancel: () => undefined }),
    advance: (ms: number) => void (now += ms),
  } as unknown as Clock & { advance(ms: number): void };
}

describe("weir_pipeline_item_latency_seconds", () => {
  it("counts every item that left the pipeline once, sunk or filtered out, with the run's clock", async () => {
    const registry = new Registry();
    const sunk: number[] = [];
    await pipeline("latency")
      .from(Array.from({ length: 1000 }, (_, i) => i))
      .filter(async (x: number) => x % 4 !== 0, { name: "keep", concurrency: 8 })
      .map(async (x: number) => x * 2, { name: "double", concurrency: 8 })
      .to((x: number) => void sunk.push(x), { name: "store" })
      .run({ metrics: metrics(registry) });
    assert.equal(sunk.length, 750);
    const exp = parseExposition(await registry.metrics());
    assert.equal(exp.types.get("weir_pipeline_item_latency_seconds"), "histogram");
    const at = { pipeline: "latency" };
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_count", at), 1000);
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_bucket", { ...at, le: "+Inf" }), 1000);
    const buckets = exp.samples.filter((s) => s.name === "weir_pipeline_item_latency_seconds_bucket");
    assert.equal(buckets.length, 18);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
    // labelled by pipeline only
    assert.deepEqual(Object.keys(buckets[0]!.labels).sort(), ["le", "pipeline"]);
  });

  it("measures from admission to leaving the sink on the run's clock: a sink that takes 2 s per item", async () => {
    const registry = new Registry();
    const clock = manualClock();
    await pipeline("slow-sink")
      .from([1, 2, 3])
      .to(
        async () => {
          clock.advance(2000);
        },
        { name: "slow" },
      )
      .run({ metrics: metrics(registry), clock });
    const exp = parseExposition(await registry.metrics());
    const at = { pipeline: "slow-sink" };
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_count", at), 3);
    // admitted together at 0, and the batch left once the last item was sunk, at 6 s
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_sum", at), 18);
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_bucket", { ...at, le: "5" }), 0);
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_bucket", { ...at, le: "10" }), 3);
  });

  it("counts nothing for items the run never finished", async () => {
    const registry = new Registry();
    const run = pipeline("fails")
      .from(Array.from({ length: 10 }, (_, i) => i))
      .map(
        async (x: number) => {
          if (x === 0) throw new Error("first item fails the run");
          return x;
        },
        { name: "explode", concurrency: 1 },
      )
      .to(() => {}, { name: "drop" })
      .run({ metrics: metrics(registry) });
    await assert.rejects(run);
    const exp = parseExposition(await registry.metrics());
    assert.equal(value(exp, "weir_pipeline_item_latency_seconds_count", { pipeline: "fails" }), 0);
  });
});
