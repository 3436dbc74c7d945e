import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, type ExecutionPlan } from "../../src/index.js";
import { turns } from "../helpers.js";

/**
 * The most source items a linear pipeline (no flatMap, no batch) can hold, from its plan: every
 * channel full (`input.capacity`) and every stage head with `concurrency` items, running or
 * completed and waiting for room below (the window counts both). When items complete out of
 * order, an ordered stage also keeps up to `reorderWindow` behind a slow one.
 * The source is read only into room below, so it is never pulled further ahead than this.
 */
function pullBound(plan: ExecutionPlan, completion: "in order" | "out of order"): number {
  let bound = 0;
  for (const step of plan.steps) {
    if (step.input !== null) bound += step.input.capacity;
    if (step.headKind !== "stage") continue;
    bound += step.concurrency;
    if (step.output.to.length > 0 && completion === "out of order" && step.ordered) bound += step.reorderWindow;
  }
  return bound;
}

describe("backpressure", () => {
  it("1,000,000 items into a sink that never resolves: the source is pulled at most (capacities + in flight) ahead", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield i;
      }
    }
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sinkCalls = 0;
    const p = pipeline("bp")
      .from(source)
      .map((x) => x + 1) // fused into the source step: no channel
      .map(async (x) => x * 2, { concurrency: 8, capacity: 100, name: "work" }) // completes in start order
      .to(
        async () => {
          sinkCalls++;
          await gate;
        },
        { concurrency: 4, capacity: 50, name: "sink" },
      );
    // channel(work) 100 + work's window 8 (running, or completed and waiting for room below)
    //   + channel(sink) 50 + sink in flight 4
    const bound = pullBound(p.plan(), "in order");
    assert.equal(bound, 162);
    const run = p.run();
    await turns(50);
    const snap = run.snapshot();
    const work = snap.stages.find((s) => s.name === "work")!;
    const sink = snap.stages.find((s) => s.name === "sink")!;
    assert.ok(pulled <= bound, `pulled ${pulled} > ${bound}`);
    assert.equal(sinkCalls, 4);
    assert.equal(sink.inFlight, 4);
    assert.equal(sink.queueDepth, 50);
    assert.equal(work.queueDepth, 100, "every channel filled up");
    // what the work stage holds: in flight, or completed and waiting for room in the sink's channel
    const held = work.inFlight + work.out - (sink.queueDepth + sink.inFlight);
    assert.ok(held >= 1 && held <= 8, `the work stage holds ${held}: at most its window`);
    assert.equal(pulled, work.queueDepth + work.in, "what was pulled is in the channel or went through work");
    // still bounded after more turns
    await turns(50);
    assert.ok(pulled <= bound);
    const before = pulled;
    release();
    const result = await run;
    assert.equal(result.stats.sink!.in, 1_000_000);
    assert.ok(before < 1_000_000);
  });

  it("an ordered stage holds at most its reorder window behind a slow item, and the bound counts it", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield i;
      }
    }
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    let releaseSink!: () => void;
    const sinkGate = new Promise<void>((r) => (releaseSink = r));
    const p = pipeline("bp")
      .from(source)
      .map(
        async (x) => {
          if (x === 0) await first; // item 0 is slow: later ones complete before it
          return x;
        },
        { concurrency: 8, capacity: 32, name: "work" },
      )
      .to(() => sinkGate, { concurrency: 4, capacity: 50, name: "sink" });
    const plan = p.plan();
    assert.equal(plan.steps[1]!.reorderWindow, 32);
    const bound = pullBound(plan, "out of order");
    assert.equal(bound, 32 + 8 + 32 + 50 + 4);
    const run = p.run();
    await turns(50);
    // item 0 holds back 31 completed items (the window), the channel in front is full, nothing got out
    assert.equal(pulled, 32 + 32);
    assert.equal(run.snapshot().stages.find((s) => s.name === "sink")!.in, 0);
    releaseFirst();
    await turns(50);
    assert.ok(pulled <= bound, `pulled ${pulled} > ${bound}`);
    const sink = run.snapshot().stages.find((s) => s.name === "sink")!;
    assert.ok(pulled > 32 + 32, "the window drained, and more was pulled");
    assert.deepEqual([sink.queueDepth, sink.inFlight], [50, 4], "into the sink's channel, which is full again");
    releaseSink();
    const r = await run;
    assert.equal(r.stats.sink!.in, 100_000);
  });

  it("a broadcast waits for its slowest branch", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield i;
      }
    }
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const src = pipeline("p").from(source);
    src.to(() => {}, { name: "fast", context: "async", capacity: 16 });
    const run = src.to(async () => gate, { name: "slow", capacity: 16 }).run();
    await turns(30);
    assert.ok(pulled <= 16 + 16 + 1, `pulled ${pulled}`);
    release();
    await run;
    assert.equal(pulled, 10_000);
  });

  for (const overflow of ["drop-oldest", "drop-newest"] as const) {
    it(`a ${overflow} channel counts what it drops instead of blocking the source`, async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: number[] = [];
      const run = pipeline("p")
        .from(Array.from({ length: 100 }, (_, i) => i))
        .to(
          async (x) => {
            seen.push(x);
            await gate;
          },
          { capacity: 10, overflow, name: "lossy" },
        )
        .run();
      await turns(10);
      assert.ok(seen.length <= 1, "the sink is stuck on its first item");
      release();
      const r = await run;
      assert.equal(r.stats.lossy!.dropped + seen.length, 100, "every item was either seen or counted as dropped");
      assert.ok(seen.length >= 10 && seen.length <= 11);
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        seen,
        "survivors keep their order",
      );
      if (overflow === "drop-oldest")
        assert.deepEqual(
          seen.slice(-10),
          Array.from({ length: 10 }, (_, i) => 90 + i),
        );
      else
        assert.ok(
          seen.every((x) => x < 11),
          "the first items survive, the newest are dropped",
        );
    });
  }
});
