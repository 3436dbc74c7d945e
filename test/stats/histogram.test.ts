import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LatencyHistogram } from "../../src/stats/LatencyHistogram.js";

describe("LatencyHistogram", () => {
  it("percentiles are within 13% of the exact ones (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 500 }),
        (samples) => {
          const h = new LatencyHistogram();
          for (const s of samples) h.record(s);
          const sorted = [...samples].sort((a, b) => a - b);
          for (const q of [0.5, 0.9, 0.99]) {
            const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
            const got = h.quantile(q);
            assert.ok(Math.abs(got - exact) <= exact * 0.13 + 0.001, `q${q}: ${got} vs ${exact}`);
          }
          assert.equal(h.count, samples.length);
          assert.equal(h.summary().max, sorted[sorted.length - 1]);
        },
      ),
    );
  });

  it("holds a fixed number of counters whatever it records, and every sample lands in one", () => {
    const h = new LatencyHistogram();
    assert.equal(LatencyHistogram.bucketCount, 240);
    assert.equal(h.buckets, LatencyHistogram.bucketCount);
    // a million distinct durations from 1 µs to beyond the top of the range (35 min)
    let x = 0.001;
    for (let i = 0; i < 1_000_000; i++) {
      h.record(x);
      x *= 1.00003;
    }
    for (const odd of [0, -5, Number.NaN, Infinity, 1e15]) h.record(odd);
    h.recordMany(0.5, 1_000);
    assert.equal(h.buckets, 240, "no counter was added");
    assert.equal(h.count, 1_000_000 + 5 + 1_000);
    assert.equal(h.bucketed, h.count, "no sample fell outside the buckets");
    for (const q of [0.5, 0.9, 0.99])
      assert.ok(Number.isFinite(h.quantile(q)) && h.quantile(q) > 0, `q${q}: ${h.quantile(q)}`);
  });

  it("percentiles stay right after a million samples", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record(i % 1000);
    assert.equal(h.count, 1_000_000);
    assert.ok(h.quantile(0.5) > 440 && h.quantile(0.5) < 560, `p50 ${h.quantile(0.5)}`);
    assert.ok(h.quantile(0.99) > 870 && h.quantile(0.99) <= 999, `p99 ${h.quantile(0.99)}`);
  });
});
