/**
 * ChildKeys: a flatMap child's id is its source index plus a fraction, its key the parent's and
 * its position; a sweep keeps the keys of the ids the run still holds and drops the rest.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ChildKeys, sourceIndexOf } from "../../src/executor/ChildKeys.js";

describe("ChildKeys", () => {
  it("keys a child under its parent's key and position; nested children extend it", () => {
    const keys = new ChildKeys(
      (index) => `run/${index}`,
      () => {},
    );
    const a = keys.child(3, 0);
    const b = keys.child(3, 1);
    assert.notEqual(a, b);
    assert.equal(sourceIndexOf(a), 3);
    assert.equal(sourceIndexOf(b), 3);
    assert.equal(keys.keyOf(a), "run/3/0");
    assert.equal(keys.keyOf(b), "run/3/1");
    const c = keys.child(b, 2);
    assert.equal(sourceIndexOf(c), 3);
    assert.equal(keys.keyOf(c), "run/3/1/2");
    assert.equal(keys.keyOf(7), "run/7");
  });

  it("a source item's children carry their position in their id: nothing is kept for them", () => {
    const keys = new ChildKeys(
      (index) => `r/${index}`,
      () => {},
    );
    const ids = Array.from({ length: 1000 }, (_, j) => keys.child(4, j));
    assert.equal(keys.size, 0);
    assert.equal(new Set(ids).size, 1000);
    assert.equal(keys.keyOf(ids[999]!), "r/4/999");
    // past the positions an id can hold, a child's key is kept
    const late = keys.child(4, 2 ** 19);
    assert.equal(keys.size, 1);
    assert.equal(sourceIndexOf(late), 4);
    assert.equal(keys.keyOf(late), `r/4/${2 ** 19}`);
  });

  it("a sweep keeps the kept keys of the ids still held and forgets the others", () => {
    const held = new Set<number>();
    const keys = new ChildKeys(
      (index) => `r/${index}`,
      (visit) => {
        for (const id of held) visit(id);
        visit(5); // integer ids are not children
      },
    );
    const parent = keys.child(1, 7);
    const ids = Array.from({ length: 100 }, (_, j) => keys.child(parent, j));
    assert.equal(keys.size, 100);
    held.add(ids[10]!);
    held.add(ids[99]!);
    keys.sweep();
    assert.equal(keys.size, 2);
    assert.equal(keys.keyOf(ids[10]!), "r/1/7/10");
    assert.equal(keys.keyOf(ids[99]!), "r/1/7/99");
    assert.throws(() => keys.keyOf(ids[0]!), RangeError);
    // a freed slot may be given again; a held one never is
    const more = Array.from({ length: 5000 }, (_, j) => keys.child(parent, 100 + j));
    assert.equal(new Set([...more, ids[10]!, ids[99]!]).size, 5002);
  });

  it("refuses source indexes a fraction cannot be added to exactly", () => {
    const keys = new ChildKeys(String, () => {});
    assert.throws(() => keys.child(2 ** 32, 0), RangeError);
  });
});
