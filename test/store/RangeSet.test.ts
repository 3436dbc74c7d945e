import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RangeSet } from "../../src/index.js";

/** The plain model: a Set of integers. */
function model(indexes: readonly number[]): Set<number> {
  return new Set(indexes);
}

describe("RangeSet", () => {
  it("agrees with a plain Set on has, size and the low watermark, whatever the insertion order", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(200), { maxLength: 300 }), fc.nat(220), (indexes, probe) => {
        const set = new RangeSet();
        for (const i of indexes) set.add(i);
        const plain = model(indexes);
        assert.equal(set.size, plain.size);
        for (let i = 0; i <= 201; i++) assert.equal(set.has(i), plain.has(i), `has(${i})`);
        let low = probe;
        while (plain.has(low)) low++;
        assert.equal(set.firstMissing(probe), low);
        // ranges are sorted, disjoint, not touching, and cover exactly the set
        const ranges = [...set.ranges()];
        for (let k = 1; k < ranges.length; k++) assert.ok(ranges[k - 1]![1] < ranges[k]![0]);
        assert.equal(
          ranges.reduce((n, [a, b]) => n + b - a, 0),
          plain.size,
        );
      }),
    );
  });

  it("addRange merges overlapping and touching ranges; deleteBelow trims", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(100), fc.nat(20)), { maxLength: 40 }), fc.nat(130), (pairs, cut) => {
        const set = new RangeSet();
        const plain = new Set<number>();
        for (const [start, length] of pairs) {
          set.addRange(start, start + length);
          for (let i = start; i < start + length; i++) plain.add(i);
        }
        set.deleteBelow(cut);
        for (const i of [...plain]) if (i < cut) plain.delete(i);
        assert.equal(set.size, plain.size);
        for (let i = 0; i < 125; i++) assert.equal(set.has(i), plain.has(i));
      }),
    );
  });

  it("encode/decode round-trips, a few bytes per range, up to 2^53", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.maxSafeNat(), fc.nat(1000)), { maxLength: 30 }), (pairs) => {
        const set = new RangeSet();
        for (const [start, length] of pairs)
          set.addRange(
            Math.min(start, Number.MAX_SAFE_INTEGER - 1000),
            Math.min(start, Number.MAX_SAFE_INTEGER - 1000) + length,
          );
        const back = RangeSet.decode(set.encode());
        assert.deepEqual([...back.ranges()], [...set.ranges()]);
        assert.equal(back.size, set.size);
      }),
    );
    const dense = RangeSet.from([
      [1_000_000, 1_000_010],
      [1_000_012, 1_000_013],
    ]);
    assert.ok(dense.encode().length <= 12, `${dense.encode().length} bytes`);
  });

  it("decode refuses bytes it did not write", () => {
    for (const bad of [
      new Uint8Array([]),
      new Uint8Array([2, 0]),
      new Uint8Array([1, 1, 0]),
      new Uint8Array([1, 1, 5, 0x80]),
    ]) {
      assert.throws(() => RangeSet.decode(bad), RangeError);
    }
    assert.throws(() => new RangeSet().add(-1), RangeError);
    assert.throws(() => new RangeSet().add(1.5), RangeError);
  });
});
