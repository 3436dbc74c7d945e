import { describe, it } from "node:test";
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pipeline } from "../../src/index.js";
import { keptShapes } from "../../src/pipeline/shapeAnchors.js";
import { keepAliveHolders } from "../../src/time/keepAlive.js";

// weir's own small runs that keep the shapes of a run's objects alive between runs
// (src/pipeline/shapeAnchors.ts; what they are worth: bench/gc-between-runs.ts). The tests run in
// order: the first run of this process starts them.

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
// V8's optimizing compiler holds the functions a background job compiles (a stage step that
// calls the user's function included) until the main thread installs the job: on a loaded
// machine that outlives a few turns (CI saw it). The test waits for those jobs, not for time.
setFlagsFromString("--allow-natives-syntax");
const finishCompileJobs = runInNewContext("(function () { %FinalizeOptimization(); })") as () => void;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("shape anchors", () => {
  it("start once, after the first run settled: published nowhere, holding nothing alive", async () => {
    assert.equal(keptShapes().length, 0, "nothing before the first run");
    const started: unknown[] = [];
    const onStart = (message: unknown): void => void started.push(message);
    diagnostics_channel.subscribe("weir:run:start", onStart);
    try {
      const holders = keepAliveHolders();
      const run = pipeline<number>("first")
        .from([1, 2, 3])
        .map(async (x) => x * 2)
        .to(() => {})
        .run();
      assert.equal(keptShapes().length, 0, "not while the first run is going");
      await run;
      const anchors = keptShapes();
      assert.ok(anchors.length > 0, "started once the first run settled");
      assert.equal(keepAliveHolders(), holders, "they hold nothing alive");
      const results = await Promise.all(anchors);
      for (const r of results) assert.equal(r.sourceItems, 2, "each ran its items to the end");
      for (const a of anchors) assert.equal(a.snapshot().state, "completed");
      await pipeline<number>("second")
        .from([1])
        .to(() => {})
        .run();
      assert.equal(keptShapes().length, anchors.length, "started once");
      assert.deepEqual(
        started.map((m) => (m as { pipeline: string }).pipeline),
        ["first", "second"],
        "only the user's runs are published",
      );
    } finally {
      diagnostics_channel.unsubscribe("weir:run:start", onStart);
    }
  });

  it("keep nothing of a user's run: its stage function and its source are collected once it settled", async () => {
    let fn: WeakRef<object> | undefined;
    let source: WeakRef<object> | undefined;
    await (async () => {
      const items = Array.from({ length: 1000 }, (_, i) => ({ i }));
      const double = async (x: { i: number }): Promise<number> => x.i * 2;
      fn = new WeakRef(double);
      source = new WeakRef(items);
      const r = await pipeline<{ i: number }>("user").from(items).map(double).run();
      assert.equal(r.stats["double"]!.out, 1000);
    })();
    await Promise.all(keptShapes());
    for (let i = 0; i < 3 && (fn!.deref() !== undefined || source!.deref() !== undefined); i++) {
      await turn();
      finishCompileJobs();
      gc();
    }
    assert.equal(fn!.deref(), undefined, "the stage function was collected");
    assert.equal(source!.deref(), undefined, "the source was collected");
  });
});
