/**
 * A synchronous iterator (a generator) feeding fused stages is pulled by the fused loop itself,
 * one item at a time as each goes through, with no chunk array in between (FusedTail.pull). These
 * tests hold what a run promises on that path: order, counts, source errors with their position,
 * an item that goes asynchronous or expands past the output's bound, a failing stage, how far
 * ahead of the stages the source is read, and a sink that returns a promise for every item (the
 * pull goes on after each, as far as a pull of synchronous items would).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, SourceError, StageError, type Run, type RunResult } from "../../src/index.js";
import { SPILL_AT } from "../../src/run/fused/compileTail.js";

/** A generator of 0..n-1 that counts what it yielded and whether it was closed early. */
function counted(n: number): { source: Generator<number>; readonly yielded: number; readonly closed: boolean } {
  const state = { yielded: 0, closed: false };
  function* numbers(): Generator<number> {
    try {
      for (let i = 0; i < n; i++) {
        state.yielded++;
        yield i;
      }
    } finally {
      state.closed = state.yielded < n;
    }
  }
  return {
    source: numbers(),
    get yielded() {
      return state.yielded;
    },
    get closed() {
      return state.closed;
    },
  };
}

describe("a generator read by its fused stages", () => {
  it("is pulled as items go through: a stage sees item i when the generator has yielded i + 1", async () => {
    const g = counted(5_000);
    let behind = 0;
    let sum = 0;
    const r = await pipeline<number>("p")
      .from(g.source)
      .map((x) => x * 2)
      .to((x) => {
        if (g.yielded !== x / 2 + 1) behind++;
        sum += x;
      })
      .run();
    assert.equal(behind, 0);
    assert.equal(sum, 5_000 * 4_999);
    assert.deepEqual([r.stats.source!.out, r.stats["map-1"]!.in, r.stats["sink-1"]!.in], [5_000, 5_000, 5_000]);
  });

  it("a source that throws mid-chunk: the items before go through, the run fails at that position", async () => {
    function* failing(): Generator<number> {
      for (let i = 0; i < 1_500; i++) yield i;
      throw new Error("disk gone");
    }
    const seen: number[] = [];
    const run = pipeline<number>("p")
      .from(failing)
      .map((x) => x + 1)
      .to((x) => void seen.push(x))
      .run();
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.equal(e.position, 1_500);
      assert.equal((e.cause as Error).message, "disk gone");
      return true;
    });
    assert.equal(seen.length, 1_500);
    assert.equal(seen[1_499], 1_500);
    const snapshot = run.snapshot();
    assert.equal(snapshot.sourceItems, 1_500);
    assert.equal(snapshot.stages.find((s) => s.name === "map-1")?.in, 1_500);
  });

  it("a source that throws on its first item fails the run at position 0", async () => {
    const failing = (): Iterator<number> => ({
      next: () => {
        throw new Error("no input");
      },
    });
    const run = pipeline<number>("p")
      .from({ [Symbol.iterator]: failing })
      .map((x) => x)
      .to(() => {})
      .run();
    await assert.rejects(run, (e: unknown) => e instanceof SourceError && e.position === 0);
  });

  it("an item that goes asynchronous holds the pull there: nothing is pulled while it waits, and order holds", async () => {
    const g = counted(3_000);
    let pulledWhileWaiting = -1;
    const out: number[] = [];
    await pipeline<number>("p")
      .from(g.source)
      .map((x) => {
        if (x % 1_000 !== 3) return x;
        const at = g.yielded;
        return new Promise<number>((resolve) =>
          setImmediate(() => {
            if (x === 3) pulledWhileWaiting = g.yielded - at;
            resolve(x);
          }),
        );
      })
      .to((x) => void out.push(x))
      .run();
    assert.equal(pulledWhileWaiting, 0);
    assert.equal(out.length, 3_000);
    assert.ok(
      out.every((x, i) => x === i),
      "in source order",
    );
  });

  it("a flatMap expanding past the output's bound hands its items on in order, and the pull goes on after", async () => {
    const out: number[] = [];
    const r = await pipeline<number>("p")
      .from(counted(10).source)
      .flatMap((x) => (x === 4 ? Array.from({ length: SPILL_AT * 3 }, (_, i) => 1_000 + i) : [x]))
      .to((x) => void out.push(x))
      .run();
    const expected = [0, 1, 2, 3, ...Array.from({ length: SPILL_AT * 3 }, (_, i) => 1_000 + i), 5, 6, 7, 8, 9];
    assert.deepEqual(out, expected);
    assert.deepEqual([r.stats["flatMap-1"]!.in, r.stats["flatMap-1"]!.out], [10, expected.length]);
  });

  it("a stage failing under onError: 'fail' fails the run and closes the generator", async () => {
    const g = counted(10_000);
    await assert.rejects(
      pipeline<number>("p")
        .from(g.source)
        .map((x) => {
          if (x === 2_500) throw new Error("bad item");
          return x;
        })
        .to(() => {})
        .run(),
      (e: unknown) => e instanceof StageError && e.index === 2_500,
    );
    assert.equal(g.closed, true, "return() was called");
    assert.ok(g.yielded <= 2_501, `pulled ${g.yielded} items, none past the failing one`);
  });

  it("a stage skipping its failures goes on pulling where it was", async () => {
    const out: number[] = [];
    const r = await pipeline<number>("p")
      .from(counted(3_000).source)
      .map(
        (x) => {
          if (x % 700 === 0) throw new Error(`bad ${x}`);
          return x;
        },
        { onError: "skip" },
      )
      .to((x) => void out.push(x))
      .run();
    assert.equal(out.length, 3_000 - 5);
    assert.deepEqual([r.stats["map-1"]!.in, r.stats["map-1"]!.out, r.stats["map-1"]!.skipped], [3_000, 2_995, 5]);
  });

  /** Counts turns of the event loop until `done()` is called. */
  function loopTurns(): { readonly turns: number; done(): void } {
    let turns = 0;
    let running = true;
    const tick = (): void => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    return {
      get turns() {
        return turns;
      },
      done: () => void (running = false),
    };
  }

  /**
   * Runs 20,000 numbers from a counted generator through the stages `build` adds, with a fused
   * stage that returns a promise for every item and calls `pulled(x)` with the count the generator
   * should have yielded when it sees item x, and that puts its items + 1 in `out`; checks what a
   * pull that goes on after such items promises: none pulled ahead, every item out in order, and
   * the event loop turning far less than once per 1,000 items.
   */
  async function throughPromises(
    build: (source: Generator<number>, pulled: (count: number) => void, out: number[]) => Promise<RunResult>,
  ): Promise<RunResult> {
    const n = 20_000;
    const g = counted(n);
    const out: number[] = [];
    let ahead = 0;
    const loop = loopTurns();
    const r = await build(
      g.source,
      (count) => {
        if (g.yielded !== count) ahead++;
      },
      out,
    );
    loop.done();
    assert.equal(ahead, 0, "the generator is pulled as items go through, never ahead of the stage");
    assert.equal(out.length, n);
    assert.ok(
      out.every((x, i) => x === i + 1),
      "in source order",
    );
    // One pull per item counted 20,000 chunks, and a step whose awaits all complete in microtasks
    // yields to the event loop every 32 chunks unless it turned meanwhile: 313 turns when pulls
    // ended at each item. Pulls of 1,024 items are 20 chunks: no turn of its own.
    assert.ok(loop.turns < 20, `the event loop turned ${loop.turns} times`);
    return r;
  }

  it("a sink that returns a promise for every item: the pull goes on after each, in order, none pulled while one waits", async () => {
    const r = await throughPromises((source, pulled, out) =>
      pipeline<number>("p")
        .from(source)
        .map((x) => x + 1)
        // not `async`: a plain function returning a promise is fused with the source
        .to((x) => {
          pulled(x);
          out.push(x);
          return Promise.resolve();
        })
        .run(),
    );
    const n = 20_000;
    assert.deepEqual(
      [r.stats.source!.out, r.stats["map-1"]!.out, r.stats["sink-1"]!.in, r.stats["sink-1"]!.out],
      [n, n, n, n],
    );
  });

  it("a stage that returns a promise for every item, before a step of its own: the pull goes on after each, in order", async () => {
    const r = await throughPromises((source, pulled, out) =>
      pipeline<number>("p")
        .from(source)
        .map((x) => {
          pulled(x + 1);
          return Promise.resolve(x + 1);
        })
        // a step of its own: the fused step hands the items on to it
        .to(async (x) => void out.push(x))
        .run(),
    );
    const n = 20_000;
    assert.deepEqual([r.stats.source!.out, r.stats["map-1"]!.out, r.stats["sink-1"]!.in], [n, n, n]);
  });

  /** Where a fused function that waits on every item stands: a sink, or a map before a step of its own. */
  const waiting: ReadonlyArray<
    [string, (source: Generator<number>, wait: (x: number) => Promise<number>, out: number[]) => Run]
  > = [
    [
      "a sink",
      (source, wait, out) =>
        pipeline<number>("p")
          .from(source)
          .to((x) => wait(x).then((y) => void out.push(y)))
          .run(),
    ],
    [
      "a map before a step of its own",
      (source, wait, out) =>
        pipeline<number>("p")
          .from(source)
          .map(wait)
          .to(async (y) => void out.push(y))
          .run(),
    ],
  ];

  for (const [label, build] of waiting) {
    it(`stop() while ${label} waits: nothing more is pulled, what went through goes on`, async () => {
      const g = counted(5_000);
      const out: number[] = [];
      const run = build(
        g.source,
        (x) => {
          if (x === 100) void run.stop();
          return new Promise<number>((resolve) => setImmediate(() => resolve(x)));
        },
        out,
      );
      const r = await run;
      assert.equal(r.stopped, true);
      assert.equal(g.yielded, 101, "pulled up to the item that stopped the run");
      assert.deepEqual(
        out,
        Array.from({ length: 101 }, (_, i) => i),
      );
    });
  }

  it("the low watermark never passes an item a map has put out but not handed on yet", async () => {
    let watermark = -1;
    let done = -1;
    const out: number[] = [];
    const run = pipeline<number>("p")
      .from(counted(2_000).source)
      .map((x) => {
        // the items before 1,500 settle in microtasks: they wait in the map's output for a hand-on
        if (x !== 1_500) return Promise.resolve(x);
        return new Promise<number>((resolve) =>
          setImmediate(() => {
            watermark = run.snapshot().lowWatermark;
            done = out.length; // the sink finished items 0..done-1, in order
            resolve(x);
          }),
        );
      })
      .to(async (x) => void out.push(x))
      .run();
    const r = await run;
    assert.ok(done > 0 && done < 1_500, `the sink had finished ${done} items`);
    assert.ok(watermark <= done, `low watermark ${watermark} with ${done} items done`);
    assert.equal(r.lowWatermark, 2_000);
  });

  it("the low watermark follows such a sink item by item: what went through is held no longer", async () => {
    let watermark = -1;
    const run = pipeline<number>("p")
      .from(counted(2_000).source)
      .to((x) => {
        if (x !== 1_500) return Promise.resolve();
        // items 0..1,499 went through, in the pull that took item 1,500, which is still waiting
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            watermark = run.snapshot().lowWatermark;
            resolve();
          }),
        );
      })
      .run();
    const r = await run;
    assert.equal(watermark, 1_500);
    assert.equal(r.lowWatermark, 2_000);
  });

  it("a source gate is still asked before each pull when such a sink waits on every item", async () => {
    let asked = 0;
    const out: number[] = [];
    await pipeline<number>("p")
      .from(counted(50).source)
      .to((x) => {
        out.push(x);
        return Promise.resolve();
      })
      .run({
        sourceGate: () => {
          asked++;
          return undefined;
        },
      });
    assert.equal(out.length, 50);
    assert.ok(asked >= 50, `asked ${asked} times for 50 items, each waited on`);
  });

  it("such a sink rejecting: skipped under onError 'skip' as the pull goes on; under 'fail' nothing is pulled past it", async () => {
    const out: number[] = [];
    const r = await pipeline<number>("p")
      .from(counted(3_000).source)
      .to(
        (x) => {
          if (x % 700 === 0) return Promise.reject(new Error(`bad ${x}`));
          out.push(x);
          return Promise.resolve();
        },
        { onError: "skip" },
      )
      .run();
    assert.equal(out.length, 3_000 - 5);
    assert.deepEqual([r.stats["sink-1"]!.in, r.stats["sink-1"]!.out, r.stats["sink-1"]!.skipped], [3_000, 2_995, 5]);

    const g = counted(10_000);
    await assert.rejects(
      pipeline<number>("p")
        .from(g.source)
        .to((x) => (x === 2_500 ? Promise.reject(new Error("bad item")) : Promise.resolve()))
        .run(),
      (e: unknown) => e instanceof StageError && e.index === 2_500,
    );
    assert.equal(g.closed, true, "return() was called");
    assert.equal(g.yielded, 2_501, "none pulled past the failing item");
  });
});
