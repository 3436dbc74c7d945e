import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Channel } from "../../src/channel/Channel.js";
import { FifoQueue } from "../../src/channel/FifoQueue.js";
import type { ItemQueue } from "../../src/channel/ItemQueue.js";
import { PriorityQueue } from "../../src/channel/PriorityQueue.js";

/** What `n` calls of `shift` return: the items, the first seq, and each seq unless they are consecutive. */
function byShift(c: Channel<number>, n: number): { items: number[]; first: number; each: number[] | undefined } {
  const items: number[] = [];
  const seqs: number[] = [];
  for (let k = 0; k < n; k++) {
    items.push(c.shift());
    seqs.push(c.shiftedSeq);
  }
  const consecutive = seqs.every((s, k) => s === seqs[0]! + k);
  return { items, first: seqs[0]!, each: consecutive ? undefined : seqs };
}

/**
 * Pushes runs of items, some with consecutive seqs and some with gaps, and takes runs of random
 * lengths from two channels alike: one with `shiftRun`, one with `shift`, item by item.
 */
function sameAsShift(name: string, queue: () => ItemQueue<number>): void {
  it(`takes what n calls of shift take, with their seqs (${name})`, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            push: fc.integer({ min: 0, max: 40 }),
            gap: fc.boolean(),
            take: fc.integer({ min: 1, max: 50 }),
          }),
          { maxLength: 30 },
        ),
        (steps) => {
          const a = new Channel<number>(queue(), 10_000, 1);
          const b = new Channel<number>(queue(), 10_000, 1);
          let seq = 0;
          for (const step of steps) {
            for (let k = 0; k < step.push; k++) {
              seq += step.gap && k % 7 === 3 ? 3 : 1;
              const value = (seq * 7919) % 101;
              a.push(value, seq);
              b.push(value, seq);
            }
            const n = Math.min(step.take, a.size);
            if (n === 0) continue;
            const into: number[] = [];
            const first = a.shiftRun(into, n);
            const expected = byShift(b, n);
            assert.deepEqual(into, expected.items);
            assert.equal(first, expected.first);
            assert.deepEqual(a.runSeqs, expected.each);
            assert.equal(a.shiftedSeq, b.shiftedSeq, "the last one's seq, as shift leaves it");
            assert.equal(a.size, b.size);
          }
        },
      ),
    );
  });
}

describe("Channel.shiftRun: n items in one call", () => {
  sameAsShift("arrival order, the queue's own run", () => new FifoQueue<number>());
  sameAsShift("a priority queue, item by item", () => new PriorityQueue<number>((x) => x % 5));
});
