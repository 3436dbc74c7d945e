import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { pipeline, worker } from "../../src/index.js";
import { metrics } from "../../src/metrics.js";
import { parseExposition, value } from "./parseExposition.js";

const crash = new URL("../fixtures/workers/crash.mjs", import.meta.url);
type Item = { i: number; crash?: "first" };

describe("weir/metrics: worker pools", () => {
  it("reports workers by state while the run lives, and a crashed worker as a restart", async () => {
    const registry = new Registry();
    let live = "";
    const result = await pipeline("pooled")
      .from<Item>([{ i: 0 }, { i: 1, crash: "first" }, { i: 2 }, { i: 3 }])
      // one item on the worker at a time (window 1): when the item crashes it, nothing else was
      // there, so the pool blames it at once. With two batches in flight (the default) whether
      // the next item had reached the worker before the exit was seen is a race, and with it
      // whether the item is first run alone again (a second crash, a second restart).
      .map(worker<Item, { i: number }>(crash, "crashOn", { maxWorkers: 1, maxBatchSize: 1, batchesPerWorker: 1 }), {
        name: "crashy",
        concurrency: 1,
        retry: { attempts: 2, baseMs: 1 },
      })
      .to(
        async (x: { i: number }) => {
          if (x.i === 3) live = await registry.metrics();
        },
        { name: "keep" },
      )
      .run({ metrics: metrics(registry) });
    assert.equal(result.stats["keep"]!.in, 4);
    const during = parseExposition(live);
    const states = during.samples.filter((s) => s.name === "weir_pool_workers" && s.labels.stage === "crashy");
    assert.deepEqual(states.map((s) => s.labels.state).sort(), ["busy", "idle", "starting", "stopping"]);
    assert.equal(
      states.reduce((n, s) => n + s.value, 0),
      1,
      "one worker (maxWorkers 1), in one state",
    );
    assert.equal(during.samples.find((s) => s.name === "weir_pool_workers")!.labels.context, "worker");
    const after = parseExposition(await registry.metrics());
    const at = { pipeline: "pooled", stage: "crashy" };
    // the item crashed its worker, alone on it, and failed its attempt: one worker ended (a
    // restart), one failure, one retry (the second attempt does not crash)
    assert.equal(value(after, "weir_pool_worker_restarts_total", at), 1);
    assert.equal(value(after, "weir_stage_items_failed_total", { ...at, code: "WEIR_WORKER_CRASHED" }), 1);
    assert.equal(value(after, "weir_stage_items_retried_total", at), 1);
    assert.equal(value(after, "weir_stage_items_emitted_total", at), 4);
  });
});

/** Every module specifier a file imports or re-exports, statically or with import(). */
function specifiers(file: string): { static: string[]; dynamic: string[] } {
  const text = readFileSync(file, "utf8");
  const found = { static: [] as string[], dynamic: [] as string[] };
  for (const m of text.matchAll(/(?:from|import)\s*(\(?)\s*["']([^"']+)["']/g))
    (m[1] === "(" ? found.dynamic : found.static).push(m[2]!);
  return found;
}

/** Packages reachable from `entry` through static imports (what loading it loads). */
function staticPackages(entry: string): Set<string> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiers(file).static) {
      if (spec.startsWith(".")) pending.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      else packages.add(spec);
    }
  }
  return packages;
}

describe("weir/metrics is a subpath of its own", () => {
  const src = fileURLToPath(new URL("../../src/", import.meta.url));
  it("neither the core nor the CLI's start loads prom-client or an HTTP server", () => {
    for (const entry of ["index.ts", "cli/main.ts"]) {
      const packages = staticPackages(resolve(src, entry));
      assert.equal(packages.has("prom-client"), false, entry);
      assert.equal(packages.has("node:http"), false, entry);
    }
    assert.ok(staticPackages(resolve(src, "metrics.ts")).has("prom-client"));
  });
});
