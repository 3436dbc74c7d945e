import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, SourceError, StageError } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

/** Passes items through a real async hop (a timer), so they are spread over stages when the source fails. */
const hop = async (x: number): Promise<number> => {
  await new Promise((r) => setTimeout(r, 0));
  return x;
};

function isSourceError(e: unknown, position: number, delivered: number, cause: string): boolean {
  assert.ok(e instanceof SourceError, `expected a SourceError, got ${String(e)}`);
  assert.equal(e.code, "WEIR_SOURCE_FAILED");
  assert.equal(e.pipeline, "p");
  assert.equal(e.position, position);
  assert.equal(e.delivered, delivered);
  assert.equal((e.cause as Error).message, cause);
  return true;
}

describe("a source that fails: what was read flows through before the run rejects", () => {
  it("a generator that yields 100 items then throws: the sink gets all 100, in order; the error says 100 read, 100 through", async () => {
    const got: number[] = [];
    const run = pipeline("p")
      .from(function* numbers() {
        for (let i = 0; i < 100; i++) yield i;
        throw new Error("disk gone");
      })
      .map(hop, { concurrency: 4, name: "hop" })
      .to(
        async (x) => {
          await hop(x);
          got.push(x);
        },
        { name: "sink" },
      )
      .run();
    await assert.rejects(run, (e: unknown) => {
      isSourceError(e, 100, 100, "disk gone");
      assert.match(
        (e as Error).message,
        /pipeline "p": source function "numbers" failed after 100 items; all 100 went through: disk gone/,
      );
      return true;
    });
    // before the fix: 36 of them (the partly filled chunk and everything in flight were dropped)
    assert.deepEqual(
      got,
      Array.from({ length: 100 }, (_, i) => i),
    );
    const snap = run.snapshot();
    assert.equal(snap.state, "failed");
    assert.equal(snap.sourceItems, 100);
    assert.equal(snap.lowWatermark, 100);
  });

  it("a generator read straight into a small channel, that throws after 2,500 items: all 2,500 through, in order", async () => {
    const got: number[] = [];
    const run = pipeline("p")
      .from(function* numbers() {
        for (let i = 0; i < 2500; i++) yield i;
        throw new Error("disk gone");
      })
      // no fused stage after the source: it pushes into this stage's channel itself, 16 at a time
      // (the bound it keeps: test/pipeline/backpressure.test.ts)
      .map(hop, { concurrency: 4, capacity: 16, name: "hop" })
      .to((x) => void got.push(x), { name: "sink" })
      .run();
    await assert.rejects(run, (e: unknown) => isSourceError(e, 2500, 2500, "disk gone"));
    assert.deepEqual(
      got,
      Array.from({ length: 2500 }, (_, i) => i),
    );
    assert.equal(run.snapshot().lowWatermark, 2500);
  });

  it("an async generator that rejects after 50 items, and a web stream that errors after 20: same", async () => {
    const gotAsync: number[] = [];
    await assert.rejects(
      pipeline("p")
        .from(async function* () {
          for (let i = 0; i < 50; i++) yield await hop(i);
          throw new Error("connection reset");
        })
        .map(hop, { concurrency: 3 })
        .to((x) => void gotAsync.push(x))
        .run(),
      (e: unknown) => isSourceError(e, 50, 50, "connection reset"),
    );
    assert.equal(gotAsync.length, 50);

    let i = 0;
    const gotWeb: number[] = [];
    await assert.rejects(
      pipeline("p")
        .from(
          () =>
            new ReadableStream<number>({
              pull(c) {
                if (i < 20) c.enqueue(i++);
                else c.error(new Error("socket reset"));
              },
            }),
        )
        .map(hop, { concurrency: 2 })
        .to((x) => void gotWeb.push(x))
        .run(),
      (e: unknown) => isSourceError(e, 20, 20, "socket reset"),
    );
    assert.deepEqual(
      gotWeb,
      Array.from({ length: 20 }, (_, k) => k),
    );
  });

  it("items read before the failure go through fused stages, batches and branches too", async () => {
    const evens: number[][] = [];
    const odds: number[] = [];
    const p = pipeline("p")
      .from(function* () {
        for (let k = 0; k < 30; k++) yield k;
        throw new Error("bad");
      })
      .map((x) => x * 1);
    const { even, odd } = p.route((x) => (x % 2 === 0 ? "even" : "odd"), ["even", "odd"]);
    even.batch({ size: 4 }).to((b) => void evens.push(b));
    odd.map(hop, { concurrency: 2 }).to((x) => void odds.push(x));
    await assert.rejects(p.run(), (e: unknown) => isSourceError(e, 30, 30, "bad"));
    assert.deepEqual(
      evens.flat(),
      Array.from({ length: 15 }, (_, k) => 2 * k),
    );
    assert.deepEqual(evens.at(-1), [24, 26, 28], "the partial batch is flushed");
    assert.equal(odds.length, 15);
  });

  it("a stage failing during the drain cuts it short: still the SourceError, saying how many went through", async () => {
    let threw = false;
    const sinkGot: number[] = [];
    const run = pipeline("p")
      .from(function* () {
        for (let k = 0; k < 40; k++) yield k;
        threw = true;
        throw new Error("gone");
      })
      .to(
        async (x) => {
          if (x === 5) {
            // fail only once the source has failed: the drain is under way
            while (!threw) await turns(1);
            throw new Error("sink broke");
          }
          sinkGot.push(x);
        },
        { name: "sink" },
      )
      .run();
    await assert.rejects(run, (e: unknown) => {
      isSourceError(e, 40, 5, "gone");
      assert.match((e as Error).message, /failed after 40 items; 5 went through: gone/);
      return true;
    });
    assert.deepEqual(sinkGot, [0, 1, 2, 3, 4]);
    assert.equal(run.snapshot().lowWatermark, 5, "item 5 failed: it is not done, nor anything after it");
  });

  it("a source that fails before its first item rejects with no drain to do", async () => {
    const clock = new ManualClock();
    await assert.rejects(
      pipeline("p")
        .from(async function* () {
          yield* [];
          throw new Error("no such table");
        })
        .to(() => {})
        .run({ clock }),
      (e: unknown) => isSourceError(e, 0, 0, "no such table"),
    );
  });
});

describe("a function source that throws when called", () => {
  it("rejects with a SourceError naming the pipeline and the source function (not a raw Error)", async () => {
    const cause = new Error("ENOENT: orders.csv");
    const run = pipeline("p")
      .from(function readOrders(): Iterable<number> {
        throw cause;
      })
      .to(() => {})
      .run();
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.equal(e.code, "WEIR_SOURCE_FAILED");
      assert.equal(e.cause, cause);
      assert.equal(e.position, 0);
      assert.equal(e.source, 'source function "readOrders"');
      assert.equal(e.message, 'pipeline "p": source function "readOrders" failed after 0 items: ENOENT: orders.csv');
      return true;
    });
    assert.equal(run.snapshot().state, "failed");
    // an anonymous one is named as such; a thrown non-Error is kept as the cause
    await assert.rejects(
      pipeline("q")
        .from((): number[] => {
          throw "nope";
        })
        .run(),
      (e: unknown) =>
        e instanceof SourceError &&
        e.cause === "nope" &&
        e.message === 'pipeline "q": source function (anonymous) failed after 0 items: nope',
    );
  });

  it("a stage's own failure is still a StageError (the source did not fail)", async () => {
    await assert.rejects(
      pipeline("p")
        .from([1, 2, 3])
        .map((x) => {
          if (x === 2) throw new Error("bad item");
          return x;
        })
        .run(),
      (e: unknown) => e instanceof StageError && e.index === 1,
    );
  });
});
