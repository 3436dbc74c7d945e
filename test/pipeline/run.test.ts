import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { pipeline, CancelledError } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

function* naturals(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}

describe("run control", () => {
  it("cancels by signal: rejects with a CancelledError and aborts every item's ctx.signal", async () => {
    const ac = new AbortController();
    const itemSignals: AbortSignal[] = [];
    const run = pipeline("p")
      .from(naturals)
      .map(
        (x, ctx) => {
          itemSignals.push(ctx.signal);
          return new Promise<number>(() => {});
        },
        { concurrency: 3 },
      )
      .run({ signal: ac.signal });
    await turns(3);
    assert.equal(itemSignals.length, 3);
    ac.abort(new Error("user said so"));
    await assert.rejects(
      run,
      (e: unknown) => e instanceof CancelledError && e.code === "WEIR_CANCELLED" && /user said so/.test(e.message),
    );
    assert.ok(itemSignals.every((s) => s.aborted));
    assert.equal(run.snapshot().state, "cancelled");
    assert.equal(getEventListeners(ac.signal, "abort").length, 0, "the run removed its listener");
  });

  it("a run that completes removes its listener from the caller's signal", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 50; i++)
      await pipeline("p")
        .from([1, 2])
        .map((x) => x)
        .run({ signal: ac.signal });
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  it("stop() stops pulling, drains what was pulled, and resolves with stopped: true", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const done: number[] = [];
    const run = pipeline("p")
      .from(source)
      .map(
        async (x) => {
          await turns(1);
          return x;
        },
        { concurrency: 4, capacity: 8 },
      )
      .to((x) => void done.push(x))
      .run();
    await turns(10);
    const result = await run.stop();
    assert.equal(result.stopped, true);
    assert.equal(done.length, pulled, "everything pulled was processed: nothing accepted is lost");
    assert.deepEqual(
      done,
      Array.from({ length: pulled }, (_, i) => i),
    );
  });

  it("stop({ graceMs }) aborts what has not drained when the grace runs out, and resolves saying so", async () => {
    const clock = new ManualClock();
    const itemSignals: AbortSignal[] = [];
    const run = pipeline("p")
      .from(naturals)
      .map(
        (_x, ctx) => {
          itemSignals.push(ctx.signal);
          return new Promise(() => {});
        },
        { concurrency: 2, capacity: 4 },
      )
      .run({ clock });
    await clock.advance(0);
    const stopped = run.stop({ graceMs: 1000 });
    assert.equal(run.snapshot().state, "stopping");
    await clock.advance(999);
    assert.equal(run.snapshot().state, "stopping");
    await clock.advance(1);
    const r = await stopped;
    assert.equal(r.stopped, true);
    assert.equal(r.abandoned, 6, "2 in flight and 4 queued were cut short");
    assert.equal(r.lowWatermark, 0, "none of them is done");
    assert.equal(r.sourceItems, 6);
    assert.equal(run.snapshot().state, "cancelled");
    assert.ok(itemSignals.length === 2 && itemSignals.every((s) => s.aborted));
    assert.ok(run.signal.reason instanceof CancelledError);
    assert.match((run.signal.reason as Error).message, /grace of 1000 ms ran out; 6 items abandoned/);
  });

  it("emits run:start and run:end, and a failed run reports ok: false", async () => {
    const seen: string[] = [];
    const run = pipeline("p")
      .from([1])
      .map(() => {
        throw new Error("x");
      })
      .run();
    run.on("run:start", (e) => void seen.push(`start ${e.pipeline}`));
    run.on("run:end", (e) => void seen.push(`end ${e.ok}`));
    await run.then(undefined, () => undefined);
    assert.deepEqual(seen, ["start p", "end false"]);
  });

  it("snapshot() is immutable and reports per-stage progress", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("p")
      .from([1, 2, 3])
      .map(
        async (x) => {
          await gate;
          return x;
        },
        { name: "wait", concurrency: 2 },
      )
      .run();
    await turns(3);
    const snap = run.snapshot();
    assert.ok(Object.isFrozen(snap) && Object.isFrozen(snap.stages) && Object.isFrozen(snap.stages[0]));
    const wait = snap.stages.find((s) => s.name === "wait")!;
    assert.equal(wait.inFlight, 2);
    assert.equal(wait.queueDepth, 1);
    assert.equal(snap.state, "running");
    assert.throws(() => {
      (snap as { state: string }).state = "x";
    });
    release();
    await run;
    assert.equal(run.snapshot().state, "completed");
    assert.equal(wait.inFlight, 2, "an old snapshot does not change");
  });

  it("records busy time and latency percentiles on the injected clock", async () => {
    const clock = new ManualClock();
    const run = pipeline("p")
      .from([10, 20, 30, 40])
      .map((ms) => new Promise<number>((resolve) => clock.setTimer(() => resolve(ms), ms)), {
        name: "t",
        context: "async",
      })
      .run({ clock });
    await clock.runAll();
    const r = await run;
    const t = r.stats.t!;
    assert.equal(t.latency.count, 4);
    assert.ok(Math.abs(t.latency.p50 - 20) <= 2.5, `p50 ${t.latency.p50}`);
    assert.ok(Math.abs(t.latency.p99 - 40) <= 5, `p99 ${t.latency.p99}`);
    assert.equal(t.latency.max, 40);
    assert.equal(t.busyMs, 100);
  });

  it("an endless source into a stage that settles in microtasks still lets the event loop turn", async () => {
    // every await here settles without I/O: without the source yielding to the loop, the
    // setImmediate below (and any timer, I/O or signal handler) would never run
    const run = pipeline("p")
      .from(naturals)
      .map(async (x) => x + 1, { concurrency: 4 })
      .to(async () => {})
      .run();
    await new Promise((r) => setImmediate(r));
    assert.ok(run.snapshot().sourceItems > 0);
    const r = await run.stop();
    assert.equal(r.stopped, true);
  });

  it("breaking out of stream() cancels the run", async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const got: number[] = [];
    for await (const x of pipeline("p")
      .from(source)
      .map(async (x) => x, { concurrency: 2 })
      .stream({ capacity: 4 })) {
      got.push(x);
      if (got.length === 5) break;
    }
    const at = pulled;
    await turns(5);
    assert.equal(pulled, at, "no more pulls after the reader left");
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });

  it("lowWatermark: every source item below it has left the pipeline, whatever the branch or policy", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const delivered: number[] = [];
    const src = pipeline("p").from(Array.from({ length: 20 }, (_, i) => i));
    const run = src
      .filter((x) => x !== 1) // item 1 leaves by filter
      .map(
        async (x) => {
          if (x === 2) throw new Error("bad"); // item 2 leaves as a dead letter
          if (x === 5) await gate; // item 5 is stuck
          return x;
        },
        { concurrency: 4, capacity: 8, onError: "dead-letter" },
      )
      .batch({ size: 3 })
      .to((b) => void delivered.push(...b))
      .run();
    await turns(10);
    const snap = run.snapshot();
    assert.equal(snap.lowWatermark, 5, "items 0-4 are done; 5 is in flight, later ones wait behind it");
    assert.ok(snap.sourceItems > 5);
    release();
    const result = await run;
    assert.equal(run.snapshot().lowWatermark, 20);
    assert.equal(result.deadLetters.length, 1);
    assert.deepEqual(
      delivered,
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 1 && i !== 2),
    );
  });
});
