import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { metrics } from "../../src/metrics.js";
import type { StageFleetStats } from "../../src/index.js";
import { parseExposition, value } from "../metrics/parseExposition.js";
import { fleetWithVictim } from "./fleetHarness.js";
import { pendingByConsumer, waitFor } from "./waitFor.js";

describe("fleet metrics", () => {
  it("a fleet stage's snapshot and /metrics show its workers, lag and the redeliveries a SIGKILLed worker caused", async () => {
    // long enough (600 × 20 ms over 4 slots) for readings of the fleet, taken once a second
    const { redis, victim, items, sink, fromVictim, pipeline, close } = await fleetWithVictim("fleet-metrics", 600, 20);
    try {
      const registry = new Registry();
      const run = pipeline.run({ metrics: metrics(registry) });
      const fleetOf = (): StageFleetStats | undefined => run.snapshot().stages.find((s) => s.name === "remote")?.fleet;
      // both workers are seen, and entries wait in the stream
      await waitFor(() => fleetOf()?.workers === 2, "the stage to see 2 workers");
      await waitFor(
        async () =>
          (fleetOf()?.lag ?? 0) > 0 &&
          fromVictim.length >= 16 &&
          ((await pendingByConsumer(redis.url, "tasks:slow")).size ?? 0) > 0,
        "the victim to be mid-run with entries in the stream",
      );
      const live = parseExposition(await registry.metrics());
      const at = { pipeline: "fleet-metrics", stage: "remote" };
      assert.equal(value(live, "weir_fleet_workers", at), 2);
      assert.ok(value(live, "weir_fleet_lag_entries", at) > 0, "entries wait in the stream");
      assert.equal(value(live, "weir_fleet_redeliveries_total", at), 0);
      victim.signal("SIGKILL");
      const result = await run;
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, []);
      const stats = result.stats["remote"]!.fleet!;
      assert.ok(stats.redeliveries > 0, `redeliveries in the snapshot: ${JSON.stringify(stats)}`);
      assert.ok(stats.sent >= items.length);
      assert.equal(result.stats["sink"]!.fleet, undefined, "only fleet stages have fleet stats");
      const after = parseExposition(await registry.metrics());
      assert.equal(value(after, "weir_fleet_redeliveries_total", at), stats.redeliveries);
      assert.ok(!after.samples.some((s) => s.name.startsWith("weir_fleet_") && s.labels.stage === "sink"));
    } finally {
      await close();
    }
  });
});
