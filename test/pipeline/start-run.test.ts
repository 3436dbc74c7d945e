import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/time/ManualClock.js";

/**
 * An async stage with no gate and no timer starts what its window allows in one pass (the runner
 * counts the room once, then starts item after item). What a start does synchronously must still
 * stop that pass where the item-by-item loop stopped.
 */
describe("an async stage's run of starts", () => {
  for (const clock of ["real", "manual"] as const) {
    it(`a synchronous failure under "fail" starts no item after it (${clock} clock)`, async () => {
      const called: number[] = [];
      const run = pipeline<number>("fails")
        .from(Array.from({ length: 200 }, (_, i) => i))
        .map(
          (x: number): Promise<number> => {
            called.push(x);
            if (x === 5) throw new Error("item 5 fails");
            return Promise.resolve(x);
          },
          { context: "async", concurrency: 64, name: "m" },
        )
        .run(clock === "manual" ? { clock: new ManualClock() } : {});
      await assert.rejects(run, /item 5 fails/);
      assert.deepEqual(called, [0, 1, 2, 3, 4, 5]);
    });
  }

  it("a flatMap whose outputs fill the window stops the pass (settles at once on a manual clock)", async () => {
    // each item settles inside its start (a synchronous return, a manual clock: no burst to wait
    // for) and leaves three outputs in the outbox: the window of 8 fills after a few starts
    let inStage = 0;
    let most = 0;
    const seen: number[] = [];
    await pipeline<number>("expands")
      .from(Array.from({ length: 40 }, (_, i) => i))
      .flatMap(
        (x: number) => {
          inStage += 3;
          most = Math.max(most, inStage);
          return [x, x, x];
        },
        { context: "async", concurrency: 8, name: "f" },
      )
      .to(
        async (x: number) => {
          inStage--;
          seen.push(x);
          await new Promise<void>((resolve) => setImmediate(resolve));
        },
        { name: "sink" },
      )
      .run({ clock: new ManualClock() });
    assert.equal(seen.length, 120);
    assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => [i, i, i]).flat());
    // outputs made and not yet taken in by the sink: at most the flatMap's window (8), the sink's
    // channel (64) and the item in its hands; a pass that went on starting items while the
    // outputs filled the window held 88
    assert.ok(most <= 8 + 64 + 1, `outputs held at most: ${most}`);
  });
});
