import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LatencyHistogram } from "../../src/stats/LatencyHistogram.js";

describe("LatencyHistogram", () => {
  it("percentiles are within 13% of the exact ones (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 500 }), (samples) => {
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
      }),
    );
  });

  it("uses constant memory whatever the sample count", () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record(i % 1000);
    assert.equal(h.count, 1_000_000);
    assert.ok(h.quantile(0.5) > 400 && h.quantile(0.5) < 600);
  });
});
