import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
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
    const run = pipeline("bp")
      .from(source)
      .map((x) => x + 1) // fused into the source step: no channel
      .map(async (x) => x * 2, { concurrency: 8, capacity: 100, name: "work" })
      .to(async () => {
        sinkCalls++;
        await gate;
      }, { concurrency: 4, capacity: 50, name: "sink" })
      .run();
    await turns(50);
    const plan = run.snapshot();
    const work = plan.stages.find((s) => s.name === "work")!;
    const sink = plan.stages.find((s) => s.name === "sink")!;
    // bound: channel(work) 100 + reorder window of work (max(8, 100)) + channel(sink) 50 + sink in flight 4
    const bound = 100 + 100 + 50 + 4;
    assert.ok(pulled <= bound, `pulled ${pulled} > ${bound}`);
    assert.ok(pulled >= 50, "the pipeline did fill up");
    assert.equal(sinkCalls, 4);
    assert.equal(sink.inFlight, 4);
    assert.equal(sink.queueDepth, 50);
    assert.ok(work.queueDepth <= 100);
    // still bounded after more turns
    await turns(50);
    assert.ok(pulled <= bound);
    const before = pulled;
    release();
    const result = await run;
    assert.equal(result.stats.sink!.in, 1_000_000);
    assert.ok(before < 1_000_000);
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
        .to(async (x) => {
          seen.push(x);
          await gate;
        }, { capacity: 10, overflow, name: "lossy" })
        .run();
      await turns(10);
      assert.ok(seen.length <= 1, "the sink is stuck on its first item");
      release();
      const r = await run;
      assert.equal(r.stats.lossy!.dropped + seen.length, 100, "every item was either seen or counted as dropped");
      assert.ok(seen.length >= 10 && seen.length <= 11);
      assert.deepEqual([...seen].sort((a, b) => a - b), seen, "survivors keep their order");
      if (overflow === "drop-oldest") assert.deepEqual(seen.slice(-10), Array.from({ length: 10 }, (_, i) => 90 + i));
      else assert.ok(seen.every((x) => x < 11), "the first items survive, the newest are dropped");
    });
  }
});
