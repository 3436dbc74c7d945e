/**
 * Checkpoint metrics of a durable run with a real SQLite store: commits (counted against the
 * store's own checkpoint sequence), lag while items are held, and dead letters stored.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { pipeline } from "../../src/index.js";
import { metrics } from "../../src/metrics.js";
import { sqliteStore } from "../../src/sqlite.js";
import { parseExposition, value } from "./parseExposition.js";

const dir = mkdtempSync(join(tmpdir(), "weir-ckpt-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));

class Declined extends Error {
  readonly code = "EDECLINED";
}

describe("checkpoint metrics (run({ store }))", () => {
  it("counts each committed checkpoint and each dead letter stored, exactly", async () => {
    await using store = sqliteStore({ path: join(dir, "known.db") });
    const registry = new Registry();
    const sunk: number[] = [];
    await pipeline("payments")
      .from(Array.from({ length: 500 }, (_, i) => i))
      .map(
        async (x: number) => {
          if (x % 50 === 0) throw new Declined(`declined ${x}`);
          // the run spans several 10 ms commit windows: several checkpoints
          if (x % 25 === 0) await new Promise((r) => setTimeout(r, 5));
          return x;
        },
        { name: "charge", onError: "dead-letter", concurrency: 4 },
      )
      .to((x: number) => void sunk.push(x), { name: "ledger" })
      .run({ store, runId: "pay-1", metrics: metrics(registry) });
    assert.equal(sunk.length, 490);
    const exp = parseExposition(await registry.metrics());
    const at = { pipeline: "payments" };
    const stored = (await store.deadLetters.list({ runName: "payments" })).records.length;
    assert.equal(stored, 10);
    assert.equal(value(exp, "weir_dead_letters_stored_total", { ...at, stage: "charge" }), 10);
    const checkpoint = await lastCheckpoint(store, "pay-1");
    assert.ok(checkpoint !== undefined && checkpoint.seq >= 2, `${checkpoint?.seq} checkpoints`);
    assert.equal(checkpoint.watermark, 500);
    // one sample per committed checkpoint: the store's own sequence
    assert.equal(value(exp, "weir_checkpoint_commit_duration_seconds_count", at), checkpoint.seq);
    assert.equal(value(exp, "weir_checkpoint_commit_duration_seconds_bucket", { ...at, le: "+Inf" }), checkpoint.seq);
    assert.ok(value(exp, "weir_checkpoint_commit_duration_seconds_sum", at)! > 0);
    assert.equal(exp.types.get("weir_checkpoint_commit_duration_seconds"), "histogram");
    assert.equal(exp.types.get("weir_dead_letters_stored_total"), "counter");
    // gauges are of live runs only
    assert.equal(
      exp.samples.some((s) => s.name === "weir_checkpoint_lag_items"),
      false,
    );
  });

  it("while items are held below the watermark: lag is every item the source admitted, age grows from the start", async () => {
    await using store = sqliteStore({ path: join(dir, "held.db") });
    const registry = new Registry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("held")
      .from(Array.from({ length: 200 }, (_, i) => i))
      .map(
        async (x: number) => {
          if (x === 0) await gate; // item 0 holds the watermark at 0
          return x;
        },
        { name: "slow", concurrency: 4 },
      )
      .to(() => {}, { name: "drop" })
      .run({ store, runId: "held-1", metrics: metrics(registry) });
    // let the source fill what it can, and a few group commits pass
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    const exp = parseExposition(await registry.metrics());
    const admitted = run.snapshot().stages.find((s) => s.kind === "source")!.out;
    assert.ok(admitted > 4, `${admitted} admitted`);
    assert.equal(value(exp, "weir_checkpoint_lag_items", { pipeline: "held" }), admitted);
    assert.ok(value(exp, "weir_checkpoint_age_seconds", { pipeline: "held" })! >= 0);
    release();
    await run;
  });
});

async function lastCheckpoint(store: ReturnType<typeof sqliteStore>, runId: string) {
  // the store's own record of the run's checkpoints (claimed again to read it, then left completed)
  const record = (await store.getRun(runId))!;
  const handle = await store.resumeRun(runId, { kind: "pipeline", plan: record.plan });
  try {
    return await handle.lastCheckpoint();
  } finally {
    await handle.finish("completed");
  }
}
