import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ItemQueue } from "../../src/channel/ItemQueue.js";
import { FifoQueue } from "../../src/channel/FifoQueue.js";
import { PriorityQueue } from "../../src/channel/PriorityQueue.js";

/** The shared suite every ItemQueue passes: size accounting, seq tracking, drain order. */
function conformance(name: string, make: () => ItemQueue<number>, order: (pushed: number[]) => number[]): void {
  describe(`ItemQueue conformance: ${name}`, () => {
    it("keeps size and returns each item once with its seq", () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 200 }), (values) => {
          const q = make();
          values.forEach((v, i) => q.push(v, i * 10));
          assert.equal(q.size, values.length);
          const out: number[] = [];
          while (q.size > 0) {
            const v = q.shift();
            assert.equal(values[q.shiftedSeq / 10], v, "seq travels with its value");
            out.push(v);
          }
          assert.deepEqual(out, order(values));
        }),
      );
    });

    it("interleaves pushes and shifts across growth", () => {
      const q = make();
      let seq = 0;
      let taken = 0;
      for (let round = 0; round < 50; round++) {
        for (let k = 0; k < 37; k++) q.push(0, seq++);
        for (let k = 0; k < 20 && q.size > 0; k++) {
          q.shift();
          taken++;
        }
      }
      assert.equal(q.size, seq - taken);
    });
  });
}

conformance(
  "FifoQueue",
  () => new FifoQueue<number>(),
  (pushed) => pushed,
);
conformance(
  "PriorityQueue",
  () => new PriorityQueue<number>((v) => v),
  (pushed) =>
    pushed
      .map((v, i) => ({ v, i }))
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .map((e) => e.v),
);

describe("PriorityQueue.evict", () => {
  it("drops the lowest priority, newest among equals", () => {
    const q = new PriorityQueue<number>((v) => v);
    [3, 1, 2, 1].forEach((v, i) => q.push(v, i));
    assert.equal(q.evict(), 1);
    assert.equal(q.shiftedSeq, 3);
    assert.deepEqual([q.shift(), q.shift(), q.shift()], [3, 2, 1]);
  });
});
