import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { collect } from "../helpers.js";

describe("batch", () => {
  it("groups by size, flushes the rest at the end, never emits an empty batch (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 300 }), fc.integer({ min: 1, max: 50 }), async (n, size) => {
        const items = Array.from({ length: n }, (_, i) => i);
        const batches = await collect(pipeline("p").from(items).batch({ size }).stream());
        assert.deepEqual(batches.flat(), items);
        assert.ok(batches.every((b) => b.length > 0 && b.length <= size));
        assert.ok(batches.slice(0, -1).every((b) => b.length === size));
        assert.equal(batches.length, Math.ceil(n / size));
      }),
      { numRuns: 60 },
    );
  });

  it("flushes a partial batch when its first item has waited maxWaitMs on the run's clock", async () => {
    const clock = new ManualClock();
    let push!: (v: number) => void;
    let end!: () => void;
    async function* source(): AsyncGenerator<number> {
      for (;;) {
        const next = await new Promise<number | undefined>((resolve) => {
          push = resolve;
          end = () => resolve(undefined);
        });
        if (next === undefined) return;
        yield next;
      }
    }
    const flushed: number[][] = [];
    const run = pipeline("p")
      .from(source)
      .batch({ size: 10, maxWaitMs: 200 })
      .to((b) => void flushed.push(b))
      .run({ clock });
    await clock.advance(0);
    push(1);
    await clock.advance(50);
    push(2);
    await clock.advance(149);
    assert.deepEqual(flushed, [], "not yet: the first item waited 199 ms");
    await clock.advance(1);
    assert.deepEqual(flushed, [[1, 2]]);
    push(3);
    await clock.advance(100);
    assert.deepEqual(flushed, [[1, 2]], "a new window starts with the next item");
    end();
    await clock.advance(0);
    await run;
    assert.deepEqual(flushed, [[1, 2], [3]]);
    assert.equal(clock.pendingTimers, 0, "no timer left behind");
  });

  it("carries the first item's source index, and counts items in and batches out", async () => {
    const r = await pipeline("p").from([1, 2, 3, 4, 5]).batch({ size: 2, name: "rows" }).run();
    assert.deepEqual([r.stats.rows!.in, r.stats.rows!.out], [5, 3]);
  });
});
