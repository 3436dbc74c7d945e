import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VectorBuilder } from "../../src/state/VectorBuilder.js";
import type { PersistentVector } from "../../src/state/PersistentVector.js";

describe("PersistentVector / VectorBuilder", () => {
  it("behaves like an array, and every frozen view keeps its contents (property)", () => {
    type Op = { kind: "push"; value: number } | { kind: "set"; at: number; value: number } | { kind: "freeze" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), value: fc.integer() }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer() }),
      fc.constant({ kind: "freeze" as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.nat(1200), (ops, prefill) => {
        const model: number[] = Array.from({ length: prefill }, (_, i) => i);
        const b = VectorBuilder.from(model);
        const views: [PersistentVector<number>, number[]][] = [];
        for (const o of ops) {
          if (o.kind === "push") {
            model.push(o.value);
            b.push(o.value);
          } else if (o.kind === "set" && model.length > 0) {
            const at = o.at % model.length;
            model[at] = o.value;
            b.set(at, o.value);
          } else if (o.kind === "freeze") {
            views.push([b.freeze(), [...model]]);
          }
        }
        views.push([b.freeze(), [...model]]);
        for (const [view, expected] of views) {
          assert.equal(view.size, expected.length);
          assert.deepEqual(view.toArray(), expected);
          if (expected.length > 0) assert.equal(view.get(expected.length - 1), expected.at(-1));
          assert.equal(view.get(expected.length), undefined);
          assert.equal(view.get(-1), undefined);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a new view after one change copies only the changed path (cost grows with what changed)", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    const b = VectorBuilder.from(values);
    const v1 = b.freeze();
    const before = b.copiedNodes;
    b.set(4_321, { i: -1 });
    const v2 = b.freeze();
    assert.ok(b.copiedNodes - before <= 3, `copied ${b.copiedNodes - before} nodes for one change (depth 3)`);
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (v1.get(i) === v2.get(i)) same++;
    assert.equal(same, 9_999);
    assert.deepEqual(v1.get(4_321), { i: 4_321 });
  });

  it("changes before the next view are made in place (no copies between views)", () => {
    const b = VectorBuilder.from(Array.from({ length: 5_000 }, (_, i) => i));
    b.freeze();
    b.set(0, -1);
    const afterFirst = b.copiedNodes;
    for (let i = 1; i < 32; i++) b.set(i, -1); // same leaf, already copied
    assert.equal(b.copiedNodes, afterFirst);
  });

  it("returns the same view while nothing changed, and is frozen", () => {
    const b = VectorBuilder.from([1, 2]);
    const v = b.freeze();
    assert.equal(b.freeze(), v);
    assert.ok(Object.isFrozen(v));
    assert.throws(() => b.set(2, 3), RangeError);
  });
});
