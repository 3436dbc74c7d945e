import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ItemQueue } from "../../src/channel/ItemQueue.js";
import { AgingPriorityQueue } from "../../src/channel/AgingPriorityQueue.js";
import { FairQueue } from "../../src/channel/FairQueue.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

/** The ItemQueue contract, as in queue-conformance.test.ts: size, seq tracking, drain order, minSeq. */
function conformance(name: string, make: () => ItemQueue<number>, order: (pushed: number[]) => number[]): void {
  describe(`ItemQueue conformance: ${name}`, () => {
    it("keeps size and returns each item once with its seq", () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 200 }), (values) => {
          const q = make();
          values.forEach((v, i) => q.push(v, i * 10));
          assert.equal(q.size, values.length);
          assert.equal(q.minSeq(), values.length === 0 ? Infinity : 0);
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

    it("interleaves pushes, shifts and evictions across growth", () => {
      const q = make();
      let seq = 0;
      let taken = 0;
      const seen = new Set<number>();
      for (let round = 0; round < 50; round++) {
        for (let k = 0; k < 37; k++) q.push(seq % 7, seq++);
        for (let k = 0; k < 20 && q.size > 0; k++) {
          if (k % 5 === 4) q.evict();
          else q.shift();
          assert.ok(!seen.has(q.shiftedSeq), "no item comes out twice");
          seen.add(q.shiftedSeq);
          taken++;
        }
      }
      assert.equal(q.size, seq - taken);
    });
  });
}

// With a clock that does not move, aging changes nothing: plain priority order, FIFO among equals.
conformance(
  "AgingPriorityQueue",
  () => new AgingPriorityQueue<number>({ priority: (v) => v, clock: new ManualClock() }),
  (pushed) =>
    pushed
      .map((v, i) => ({ v, i }))
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .map((e) => e.v),
);
// Keyed by value sign: round robin across keys in first-seen order, FIFO within a key.
conformance(
  "FairQueue",
  () => new FairQueue<number>({ key: (v) => Math.sign(v) }),
  (pushed) => {
    const lanes = new Map<number, number[]>();
    for (const v of pushed) {
      const k = Math.sign(v);
      if (!lanes.has(k)) lanes.set(k, []);
      lanes.get(k)!.push(v);
    }
    const out: number[] = [];
    const rotation = [...lanes.values()];
    while (rotation.length > 0) {
      const lane = rotation.shift()!;
      out.push(lane.shift()!);
      if (lane.length > 0) rotation.push(lane);
    }
    return out;
  },
);

describe("AgingPriorityQueue", () => {
  it("serves a low-priority item within (pHigh − pLow) / agingPerSecond under constant high-priority load", async () => {
    const clock = new ManualClock();
    const agingPerSecond = 2;
    const q = new AgingPriorityQueue<{ p: number; id: string }>({ priority: (x) => x.p, agingPerSecond, clock });
    // A backlog of 50 high-priority items, then one low item, then a high item arriving every
    // 10 ms while the consumer serves one every 10 ms: the queue never drains.
    let seq = 0;
    for (let i = 0; i < 50; i++) q.push({ p: 10, id: `h${i}` }, seq++);
    q.push({ p: 0, id: "low" }, seq++);
    let servedAt = -1;
    for (let tick = 0; tick < 10_000 && servedAt < 0; tick++) {
      await clock.advance(10);
      q.push({ p: 10, id: `h${seq}` }, seq++);
      if (q.shift().id === "low") servedAt = clock.now();
    }
    // Items queued more than (10 − 0) / 2 = 5 s after it rank below it; the 50-item backlog
    // and the arrivals of those 5 s take 0.5 s + 5 s to serve at 100 a second.
    const bound = ((10 - 0) / agingPerSecond) * 1000 + 50 * 10 + 10;
    assert.ok(servedAt > 0, "the low item is served");
    assert.ok(servedAt <= bound, `served at ${servedAt} ms, bound ${bound} ms`);
    // Without aging it would wait for ever: the queue is never empty of higher priorities.
    assert.ok(servedAt >= 5_000, `not before its effective priority caught up (${servedAt})`);
  });

  it("reports effective priority, and evicts the lowest effective priority (newest among equals)", async () => {
    const clock = new ManualClock();
    const q = new AgingPriorityQueue<number>({ priority: (v) => v, agingPerSecond: 1, clock });
    q.push(1, 0);
    await clock.advance(3000); // item 0 is now effectively 4
    q.push(3, 1);
    q.push(3, 2);
    assert.equal(q.effectivePriority(1, 0), 4);
    assert.equal(q.evict(), 3);
    assert.equal(q.shiftedSeq, 2);
    assert.equal(q.shift(), 1, "aged past the newer 3");
    assert.equal(q.shift(), 3);
  });

  it("validates", () => {
    assert.throws(
      () => new AgingPriorityQueue({ priority: (v: number) => v, agingPerSecond: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "agingPerSecond",
    );
  });
});

describe("FairQueue", () => {
  it("a key with 10 queued items finishes within its fair share of a key with 1,000", () => {
    const q = new FairQueue<{ tenant: string; n: number }>({ key: (x) => x.tenant });
    let seq = 0;
    for (let i = 0; i < 1000; i++) q.push({ tenant: "noisy", n: i }, seq++);
    for (let i = 0; i < 10; i++) q.push({ tenant: "small", n: i }, seq++);
    const served: string[] = [];
    while (q.size > 0) served.push(q.shift().tenant);
    const lastSmall = served.lastIndexOf("small");
    assert.ok(lastSmall < 20, `small finished after ${lastSmall + 1} items (fair share: 20)`);
    assert.equal(served.filter((t) => t === "small").length, 10);
  });

  it("serves weight(key) items per turn, FIFO within a key", () => {
    const q = new FairQueue<string>({ key: (s) => s[0]!, weight: (k) => (k === "g" ? 3 : 1) });
    ["g1", "g2", "g3", "g4", "g5", "b1", "b2", "b3"].forEach((s, i) => q.push(s, i));
    const out: string[] = [];
    while (q.size > 0) out.push(q.shift());
    assert.deepEqual(out, ["g1", "g2", "g3", "b1", "g4", "g5", "b2", "b3"]);
  });

  it("evicts from the key with the most items per unit of weight, newest first", () => {
    const q = new FairQueue<string>({ key: (s) => s[0]! });
    ["a1", "a2", "a3", "b1"].forEach((s, i) => q.push(s, i));
    assert.equal(q.evict(), "a3");
    assert.equal(q.shiftedSeq, 2);
    assert.equal(q.evict(), "a2");
    assert.equal(q.evict(), "b1", "ties go to the key that queued last");
    assert.equal(q.keys, 1);
    q.push("b2", 9);
    assert.deepEqual([q.shift(), q.shift()], ["a1", "b2"]);
  });

  it("validates", () => {
    assert.throws(
      () => new FairQueue({ key: 3 as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "key",
    );
    const q = new FairQueue<string>({ key: (s) => s, weight: () => 0 });
    assert.throws(
      () => q.push("x", 0),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "weight(key)",
    );
  });
});
