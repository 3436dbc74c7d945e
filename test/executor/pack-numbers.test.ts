/**
 * Thread messages whose items or values are numbers, or arrays of numbers, travel in typed arrays
 * (bench/README.md, "Numbers cross a thread in typed arrays"): exactly, both ways, and only those.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INTEGERS, MIN_PACKED_NUMBERS, packNumbers, unpackNumbers } from "../../src/executor/pool/wire/packNumbers.js";
import { MSG_BATCH, MSG_CANCEL, MSG_RESULT } from "../../src/executor/pool/wire/WireMessage.js";

/** What the other side of a port gets: a structured clone, its buffers transferred. */
function across(message: object): unknown {
  const packed = packNumbers(message);
  assert.ok(packed !== undefined, "packed");
  return unpackNumbers(structuredClone(packed.message, { transfer: packed.transfer }));
}

const awkward = [0, -0, 1.5, -3, Number.NaN, Infinity, -Infinity, 2 ** 53 + 2, Number.MIN_VALUE, 1e308];

describe("packNumbers", () => {
  it("a batch of numbers crosses in a Float64Array and comes back a plain array of the same numbers, -0 and NaN included", () => {
    const batch = { t: MSG_BATCH, b: 3, c: 1, x: awkward, i: 0, a: 1 };
    const packed = packNumbers(batch)!;
    const sent = packed.message as { x: unknown };
    assert.ok(sent.x instanceof Float64Array);
    assert.equal(packed.transfer.length, 1);
    assert.equal(batch.x, awkward, "the message itself is not changed");
    const got = across(batch) as typeof batch;
    assert.ok(Array.isArray(got.x));
    assert.deepEqual(got, batch);
    assert.ok(Object.is(got.x[1], -0));
  });

  it("a result of arrays of numbers (a mapBatch's, vectors) crosses as one Float64Array and their lengths, empty ones included", () => {
    const v = [[1, 2, 3], [], awkward, [0.25]];
    const result = { t: MSG_RESULT, b: 9, v, e: null, o: null, r: null, u: 0.01, d: -1, m: -1 };
    const packed = packNumbers(result)!;
    const sent = packed.message as { v: { numbers: unknown; lengths: unknown } };
    assert.ok(sent.v.numbers instanceof Float64Array);
    assert.deepEqual([...(sent.v.lengths as Uint32Array)], [3, 0, awkward.length, 1]);
    assert.equal(packed.transfer.length, 2);
    const got = across(result) as typeof result;
    assert.deepEqual(got, result);
    assert.ok(got.v.every((a) => Array.isArray(a)));
  });

  it("leaves to msgpack a field with anything but numbers, a hole or a failed item's undefined, and fewer than the minimum", () => {
    const batch = (x: unknown[]): object => ({ t: MSG_BATCH, b: 1, c: 1, x, i: 0, a: 1 });
    const eight = Array.from({ length: MIN_PACKED_NUMBERS }, (_, k) => k);
    assert.ok(packNumbers(batch(eight)) !== undefined);
    assert.equal(packNumbers(batch(eight.slice(1))), undefined);
    assert.equal(packNumbers(batch([...eight, "9"])), undefined);
    assert.equal(packNumbers(batch([...eight, 9n])), undefined);
    assert.equal(packNumbers(batch([...eight, { n: 9 }])), undefined);
    assert.equal(packNumbers(batch([eight, [1, "2"]])), undefined);
    assert.equal(packNumbers(batch([eight, 9])), undefined);
    assert.equal(packNumbers(batch([eight, [[1]]])), undefined);
    assert.equal(packNumbers(batch([[1, 2], [3]])), undefined, "fewer than the minimum in all");
    // …unless one is -0, which msgpack would make 0
    assert.deepEqual(across(batch([1, -0])), batch([1, -0]));
    assert.ok(Object.is((across(batch([1, -0])) as { x: number[] }).x[1], -0));
    const vector = { t: MSG_RESULT, b: 1, v: [[0, -0, 0]], e: null };
    assert.ok(Object.is((across(vector) as { v: number[][] }).v[0]![1], -0));
    assert.ok(packNumbers(batch([-0]), true) !== undefined, "on a pipe too");
    assert.ok(packNumbers(vector, true) !== undefined, "on a pipe too, nested");
    const holey = [...eight];
    holey[20] = 1;
    assert.equal(packNumbers(batch(holey)), undefined);
    assert.equal(packNumbers({ t: MSG_RESULT, b: 1, v: [...eight, undefined], e: [[8, {}]] }), undefined);
    assert.equal(packNumbers(batch([])), undefined);
  });

  it("with integersStay (a process's pipe), packs only when some number is not a 32-bit integer, -0 included; says INTEGERS otherwise", () => {
    const batch = (x: unknown[]): object => ({ t: MSG_BATCH, b: 1, c: 1, x, i: 0, a: 1 });
    const ints = Array.from({ length: 20 }, (_, k) => k * 1000 - 7);
    assert.equal(packNumbers(batch(ints), true), INTEGERS);
    assert.equal(packNumbers(batch([ints, [1, 2]]), true), INTEGERS);
    assert.equal(packNumbers({ t: MSG_RESULT, b: 1, v: ints, e: null }, true), INTEGERS);
    // what is not all numbers, or too few to pack, is not called integers
    assert.equal(packNumbers(batch([...ints, "7"]), true), undefined);
    assert.equal(packNumbers(batch(ints.slice(0, MIN_PACKED_NUMBERS - 1)), true), undefined);
    assert.equal(packNumbers(batch([[1, 2], [3]]), true), undefined);
    assert.ok(packNumbers(batch(ints)) !== undefined, "without it, integers pack too (a thread)");
    for (const odd of [0.5, -0, Number.NaN, Infinity, 2 ** 31, -(2 ** 31) - 1]) {
      assert.ok(packNumbers(batch([...ints, odd]), true) !== undefined, `with ${odd}`);
      assert.ok(packNumbers(batch([ints, [odd]]), true) !== undefined, `nested, with ${odd}`);
    }
    assert.equal(packNumbers(batch([...ints, -(2 ** 31)]), true), INTEGERS, "-2^31 is a 32-bit integer");
  });

  it("leaves every other message alone, and unpacks nothing that was not packed", () => {
    assert.equal(packNumbers({ t: MSG_CANCEL, b: 1, k: 0, x: [1, 2, 3, 4, 5, 6, 7, 8] }), undefined);
    const plain = { t: MSG_RESULT, b: 1, v: [1, 2], e: null };
    assert.equal(unpackNumbers(plain), plain);
    assert.deepEqual(plain.v, [1, 2]);
    assert.equal(unpackNumbers(null), null);
    assert.equal(unpackNumbers("junk"), "junk");
  });

  it("leaves packed arrays whose lengths do not add up as they are, for the shape check to refuse (no huge array made)", () => {
    const bogus = { numbers: new Float64Array(2), lengths: new Uint32Array([1, 2 ** 31]) };
    const m = unpackNumbers({ t: MSG_RESULT, b: 0, v: bogus }) as { v: unknown };
    assert.equal(m.v, bogus);
    const short = { numbers: new Float64Array(4), lengths: new Uint32Array([1, 1]) };
    assert.equal((unpackNumbers({ t: MSG_BATCH, x: short }) as { x: unknown }).x, short);
  });
});
