import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline, InvalidOptionError, type RunEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

/** A web stream that enqueues `first` items, then never answers a pull; records its cancel. */
function idleWebStream(first: number, onCancel: (reason: unknown) => void): ReadableStream<number> {
  let i = 0;
  return new ReadableStream<number>(
    {
      pull(controller) {
        if (i < first) controller.enqueue(i++);
        // else: no more data for now, like a socket with nothing to read
      },
      cancel(reason) {
        onCancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A Node Readable in object mode that pushes `first` items, then waits forever. */
function idleReadable(first: number): Readable {
  let i = 0;
  return new Readable({
    objectMode: true,
    highWaterMark: 1,
    read() {
      if (i < first) this.push(i++);
    },
  });
}

describe("stop()", () => {
  it("settles while an async source waits on I/O, without a grace period; the source closes once its I/O settles", async () => {
    const pendingRead = deferred<number>();
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        yield 1;
        yield 2;
        yield await pendingRead.promise; // the source is idle here: a read that is not answered
      } finally {
        closed = true;
      }
    }
    const got: number[] = [];
    const run = pipeline("p")
      .from(source)
      .to((x) => void got.push(x), { name: "sink" })
      .run();
    await turns(5);
    assert.deepEqual(got, [1, 2]);
    const result = await run.stop(); // before the fix: never settled
    assert.equal(result.stopped, true);
    assert.equal(result.sourceItems, 2);
    assert.equal(result.stats.sink!.in, 2);
    assert.equal(run.snapshot().state, "completed");
    pendingRead.resolve(3);
    await turns(3);
    assert.equal(closed, true, "return() took effect when the pending read settled");
    assert.deepEqual(got, [1, 2], "the late item is not handed on");
    assert.equal(run.snapshot().sourceItems, 2);
  });

  it("cancels a web ReadableStream whose read is pending", async () => {
    let cancelled = false;
    const got: number[] = [];
    const run = pipeline("p")
      .from(() => idleWebStream(2, () => (cancelled = true)))
      .to((x) => void got.push(x))
      .run();
    await turns(5);
    assert.deepEqual(got, [0, 1]);
    const result = await run.stop();
    assert.equal(result.stopped, true);
    assert.equal(cancelled, true);
  });

  it("destroys a Node Readable whose read is pending", async () => {
    const stream = idleReadable(2);
    const got: number[] = [];
    const run = pipeline("p")
      .from(stream)
      .to((x) => void got.push(x))
      .run();
    await turns(5);
    assert.deepEqual(got, [0, 1]);
    const result = await run.stop();
    assert.equal(result.stopped, true);
    assert.equal(stream.destroyed, true);
  });

  it("closes a stream source that is not reading at the time of stop, too", async () => {
    let cancelled = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const source = new ReadableStream<number>({
      pull(c) {
        c.enqueue(1);
      },
      cancel() {
        cancelled = true;
      },
    });
    const run = pipeline("p")
      .from(source)
      .to(() => gate, { capacity: 2 })
      .run();
    await turns(5);
    const stopped = run.stop();
    release();
    assert.equal((await stopped).stopped, true);
    assert.equal(cancelled, true);
  });

  it("stop({ graceMs }) drains within the grace: stopped, in-flight items finished, no timer left behind", async () => {
    const clock = new ManualClock();
    const finished: number[] = [];
    const run = pipeline("p")
      .from(function* () {
        for (let i = 0; ; i++) yield i;
      })
      .map((x) => new Promise<number>((resolve) => clock.setTimer(() => resolve(x), 500)), {
        concurrency: 3,
        capacity: 4,
        name: "slow",
      })
      .to((x) => void finished.push(x), { name: "sink" })
      .run({ clock });
    await clock.advance(0);
    const pulled = run.snapshot().sourceItems;
    assert.ok(pulled > 0);
    const stopping: RunEvents["run:stopping"][] = [];
    run.on("run:stopping", (e) => void stopping.push(e));
    const result = run.stop({ graceMs: 2000 });
    assert.deepEqual(stopping, [{ pipeline: "p", graceMs: 2000 }]);
    assert.equal(run.snapshot().state, "stopping");
    await clock.runAll();
    const r = await result;
    assert.equal(r.stopped, true);
    assert.equal(clock.now() < 2000, true, "drained before the grace ran out");
    assert.equal(clock.pendingTimers, 0, "the grace timer was cancelled");
    assert.equal(r.sourceItems, pulled, "nothing pulled after stop()");
    assert.deepEqual(
      finished,
      Array.from({ length: pulled }, (_, i) => i),
      "everything pulled finished, in order",
    );
    assert.equal(r.stats.slow!.inFlight, 0);
  });

  it("emits stage:end for every stage when the run completes, with its final stats", async () => {
    const ends: RunEvents["stage:end"][] = [];
    const run = pipeline("p")
      .from([1, 2, 3])
      .map((x) => x * 2, { name: "double" })
      .filter((x) => x > 2, { name: "big" })
      .to(() => {}, { name: "sink" })
      .run();
    run.on("stage:end", (e) => void ends.push(e));
    const r = await run;
    assert.deepEqual(
      ends.map((e) => e.stage),
      ["source", "double", "big", "sink"],
    );
    const big = ends.find((e) => e.stage === "big")!.stats;
    assert.deepEqual([big.in, big.out], [3, 2]);
    assert.deepEqual(big, r.stats.big);
  });

  it("stop() emits run:stopping once, with graceMs 25,000 by default", async () => {
    const seen: RunEvents["run:stopping"][] = [];
    const run = pipeline("p")
      .from(function* () {
        for (let i = 0; ; i++) yield i;
      })
      .to(async () => {})
      .run();
    run.on("run:stopping", (e) => void seen.push(e));
    await turns(2);
    await Promise.all([run.stop(), run.stop({ graceMs: 5 })]);
    assert.deepEqual(seen, [{ pipeline: "p", graceMs: 25_000 }]);
  });

  it("rejects an invalid stop option, naming it, and the run goes on", async () => {
    const run = pipeline("p")
      .from(function* () {
        for (let i = 0; ; i++) yield i;
      })
      .to(async () => {})
      .run();
    for (const [options, option] of [
      [{ graceMs: -5 }, "graceMs"],
      [{ graceMs: Number.NaN }, "graceMs"],
      [{ graceMs: "10" }, "graceMs"],
      [{ grace: 10 }, "grace"],
    ] as const) {
      assert.throws(
        () => run.stop(options as never),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          e.option === option &&
          /pipeline "p" stop\(\)/.test(e.message) &&
          /expected .*received/.test(e.message),
      );
    }
    assert.equal(run.snapshot().state, "running");
    assert.equal((await run.stop()).stopped, true);
  });
});

describe("leaving a stream() loop closes the source", () => {
  it("cancels a web ReadableStream", async () => {
    let cancelled = false;
    let n = 0;
    const source = new ReadableStream<number>({
      pull(c) {
        c.enqueue(n++);
      },
      cancel() {
        cancelled = true;
      },
    });
    const got: number[] = [];
    for await (const x of pipeline("p")
      .from(source)
      .map((x) => x * 10)
      .stream({ capacity: 2 })) {
      got.push(x);
      if (got.length === 3) break;
    }
    await turns(3);
    assert.deepEqual(got, [0, 10, 20]);
    assert.equal(cancelled, true);
  });

  it("cancels a web ReadableStream even while its read is pending", async () => {
    let cancelled = false;
    const it = pipeline("p")
      .from(idleWebStream(1, () => (cancelled = true)))
      .stream()
      [Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { done: false, value: 0 });
    await it.return!();
    await turns(3);
    assert.equal(cancelled, true);
  });

  it("destroys a Node Readable, from a function source too", async () => {
    const stream = Readable.from(
      (function* () {
        for (let i = 0; ; i++) yield i;
      })(),
    );
    const got: number[] = [];
    for await (const x of pipeline("p")
      .from(() => stream)
      .stream({ capacity: 2 })) {
      got.push(x);
      if (got.length === 2) break;
    }
    await turns(3);
    assert.deepEqual(got, [0, 1]);
    assert.equal(stream.destroyed, true);
  });
});

describe("a run that failed while being set up", () => {
  it("rejects, and snapshot() and stop() still work", async () => {
    const ends: RunEvents["run:end"][] = [];
    const run = pipeline("p")
      .from(() => 42 as never)
      .to(() => {})
      .run();
    run.on("run:end", (e) => void ends.push(e));
    const snap = run.snapshot(); // before the fix: a TypeError
    assert.equal(snap.state, "failed");
    assert.equal(snap.sourceItems, 0);
    assert.equal(snap.sourceDone, true);
    assert.equal(snap.lowWatermark, 0);
    assert.ok(Object.isFrozen(snap));
    await assert.rejects(run.stop(), (e: unknown) => e instanceof InvalidOptionError && e.option === "from");
    await assert.rejects(run, (e: unknown) => e instanceof InvalidOptionError);
    assert.equal(run.signal.aborted, true);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.ok, false);
    assert.ok(ends[0]!.error instanceof InvalidOptionError);
  });
});
