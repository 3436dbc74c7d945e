/**
 * Which thread messages and pipe frames go in V8's format instead of msgpack: those carrying
 * strings and nothing but primitives (bench/README.md, "Strings cross in V8's format").
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clonesFaster } from "../../src/executor/pool/wire/clonesFaster.js";

describe("clonesFaster", () => {
  it("takes batches of strings, and batches of batches of them (mapBatch), beside numbers and nulls", () => {
    assert.equal(clonesFaster({ t: 1, b: 7, x: ["a", "b"], i: 0, a: 1 }), true);
    assert.equal(
      clonesFaster({
        t: 1,
        b: 7,
        x: [
          ["a", 1],
          [null, undefined, true, 2n],
        ],
      }),
      true,
    );
    assert.equal(clonesFaster({ t: 2, b: 7, v: ["r", 3] }), true);
  });

  it("leaves numbers alone to msgpack (faster for them), and the message's own string fields do not count", () => {
    assert.equal(clonesFaster({ t: 1, x: [1, 2, 3] }), false);
    assert.equal(clonesFaster({ t: 1, k: "run-1/", x: [1, 2, 3] }), false);
    assert.equal(clonesFaster({ t: 1, x: [] }), false);
  });

  it("does not look again at a field the caller found to hold numbers; the message's other arrays still count", () => {
    // a batch whose items are all integers (packNumbers said so) and whose keys are strings
    const batch = { t: 1, b: 7, x: [1, 2, 3], i: 0, a: 1, kl: ["k1", "k2", "k3"] };
    assert.equal(clonesFaster(batch, "x"), true);
    assert.equal(clonesFaster({ t: 1, x: [1, 2, 3], i: [4, 5, 6] }, "x"), false);
    // the skipped field is not read at all: what it holds does not count either way
    assert.equal(clonesFaster({ t: 1, x: ["a", "b"] }, "x"), false);
    assert.equal(clonesFaster({ t: 1, x: [{}], kl: ["k"] }, "x"), true);
  });

  it("leaves any object but an array, and arrays nested deeper than a batch of batches, to msgpack", () => {
    assert.equal(clonesFaster({ x: ["a", { id: 1 }] }), false);
    assert.equal(clonesFaster({ x: ["a", new Date(0)] }), false);
    assert.equal(clonesFaster({ x: ["a", new Uint8Array(2)] }), false);
    assert.equal(clonesFaster({ x: [[["a"]]] }), false);
    assert.equal(clonesFaster({ x: ["a"], e: { message: "m" } }), false);
  });

  it("leaves what neither can carry to msgpack's failure and the fallback after it", () => {
    assert.equal(clonesFaster({ x: ["a", Symbol("s")] }), false);
    assert.equal(clonesFaster({ x: ["a", () => 1] }), false);
  });
});
