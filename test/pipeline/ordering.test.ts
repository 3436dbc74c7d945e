import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pipeline } from "../../src/index.js";
import { collect, turns } from "../helpers.js";

/** Resolves after `n` turns of the event loop: a random but clock-free delay. */

describe("ordering", () => {
  it("keeps input order at concurrency 16 whatever the per-item delays (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 120 }), async (delays) => {
        const out = await collect(
          pipeline("p")
            .from(delays.map((d, i) => ({ d, i })))
            .map(
              async ({ d, i }) => {
                await turns(d);
                return i;
              },
              { concurrency: 16 },
            )
            .filter(
              async (i) => {
                await turns(delays[i]! % 3);
                return i % 5 !== 0;
              },
              { concurrency: 16 },
            )
            .stream(),
        );
        assert.deepEqual(
          out,
          delays.map((_, i) => i).filter((i) => i % 5 !== 0),
        );
      }),
      { numRuns: 40 },
    );
  });

  it("unordered emits in completion order, and still emits every item once", async () => {
    const out = await collect(
      pipeline("p")
        .from([3, 0, 2, 1])
        .map(
          async (d) => {
            await turns(d * 3);
            return d;
          },
          { concurrency: 4, ordered: false },
        )
        .stream(),
    );
    assert.deepEqual(out, [0, 1, 2, 3]);
  });

  it("a slow item holds back at most `capacity` later items", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const capacity = 8;
    const run = pipeline("p")
      .from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        async (i) => {
          started++;
          if (i === 0) await gate;
          return i;
        },
        { concurrency: 4, capacity },
      )
      .to(() => {})
      .run();
    await turns(20);
    // item 0 is stuck: started covers item 0 and at most `capacity` - 1 later items in the reorder window
    assert.equal(started, capacity);
    const snap = run.snapshot().stages.find((s) => s.name === "map-1")!;
    assert.equal(snap.inFlight, 1, "the rest finished and wait in the reorder window");
    release();
    const result = await run;
    assert.equal(result.stats["sink-1"]!.in, 100);
  });

  it("a last stage whose output nothing reads has no order to keep: a slow item holds nothing back", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("p")
      .from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        async (i) => {
          if (i === 0) await gate;
          return i;
        },
        { concurrency: 4, capacity: 8 },
      )
      .run();
    await turns(20);
    const snap = run.snapshot().stages.find((s) => s.name === "map-1")!;
    release();
    const result = await run;
    // ordered, but with no stage, sink or stream() below: every later item ran and is done
    assert.equal(snap.in, 100);
    assert.equal(snap.inFlight, 1);
    assert.equal(snap.out, 99);
    assert.equal(result.stats["map-1"]!.out, 100);
  });

  it("a last flatMap whose output nothing reads still pulls its iterables in turn, and counts arrays' items out", async () => {
    const pulled: number[] = [];
    function* children(i: number): Generator<number> {
      for (let k = 0; k < 3; k++) {
        pulled.push(i);
        yield k;
      }
    }
    const result = await pipeline("p")
      .from([0, 1, 2, 3, 4, 5])
      .flatMap(
        async (i) => {
          // the first item settles last: the iterables behind it wait for their turn
          await turns(i === 0 ? 10 : 1);
          return i % 2 === 0 ? children(i) : [i, i, i, i];
        },
        { concurrency: 6 },
      )
      .run();
    assert.deepEqual(pulled, [0, 0, 0, 2, 2, 2, 4, 4, 4]);
    assert.equal(result.stats["flatMap-1"]!.out, 3 * 3 + 3 * 4);
  });

  it("priority serves higher first within the queue, FIFO among equals", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const items = ["low-a", "high-a", "low-b", "high-b", "mid"];
    const rank: Record<string, number> = { high: 2, mid: 1, low: 0 };
    const run = pipeline("p")
      .from(["first", ...items])
      .map(
        async (x) => {
          if (x === "first") await gate;
          order.push(x);
          return x;
        },
        { priority: (x) => rank[x.split("-")[0]!] ?? 9, capacity: 16, ordered: false },
      )
      .to(() => {})
      .run();
    await turns(5);
    release();
    await run;
    assert.deepEqual(order, ["first", "high-a", "high-b", "mid", "low-a", "low-b"]);
  });
});
