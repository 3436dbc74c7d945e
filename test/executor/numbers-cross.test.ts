/**
 * Numbers through pool stages, end to end: batches and results of numbers, or of arrays of
 * numbers, cross a thread in typed arrays, and a process's pipe when they are not all 32-bit
 * integers (`packNumbers`); what a stage gets and gives is exactly what a structured clone would
 * carry, whichever path a message takes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, pipeline, worker } from "../../src/index.js";
import { fns } from "./harness.js";

/** Numbers msgpack and a Float64Array could each get wrong: -0, NaN, infinities, fractions, beyond 2^53. */
const awkward = [0, -0, 1.5, -3, Number.NaN, Infinity, -Infinity, 2 ** 53 + 2, Number.MIN_VALUE, 1e308, 0.1 + 0.2];
const many = Array.from({ length: 3000 }, (_, k) =>
  k % awkward.length === 0 ? awkward[(k / awkward.length) % awkward.length]! : k * 1.25 - 700,
);

async function through<T>(
  items: readonly unknown[],
  stage: ReturnType<typeof worker<unknown, T>> | ReturnType<typeof child<unknown, T>>,
): Promise<T[]> {
  const out: T[] = [];
  await pipeline<unknown>("numbers")
    .from(items)
    .map(stage, { concurrency: 2 })
    .to((x) => {
      out.push(x);
    })
    .run();
  return out;
}

describe("numbers through a worker() stage", () => {
  for (const wire of ["msgpack", "ipc"] as const) {
    it(`wire "${wire}": numbers come back exactly, -0 and NaN included, in order`, async () => {
      const out = await through<number>(many, worker(fns, "same", { maxWorkers: 2, wire }));
      assert.equal(out.length, many.length);
      for (let k = 0; k < many.length; k++)
        assert.ok(Object.is(out[k], many[k]), `item ${k}: ${out[k]} is not ${many[k]}`);
    });

    it(`wire "${wire}": results that are arrays of numbers come back exactly`, async () => {
      const out = await through<number[]>(many, worker(fns, "vectorOf", { maxWorkers: 2, wire }));
      assert.deepEqual(
        out,
        many.map((x) => [x, -x, x / 3]),
      );
    });
  }

  it("batches of numbers given whole (mapBatch) come back exactly", async () => {
    const out: number[] = [];
    const r = await pipeline<number>("negate")
      .from(many)
      .mapBatch(worker<number[], number[]>(fns, "negateEach", { maxWorkers: 2 }), {
        size: 100,
        concurrency: 2,
        name: "n",
      })
      .to((x) => {
        out.push(x);
      })
      .run();
    assert.equal(r.stats.n!.out, many.length);
    assert.deepEqual(
      out,
      many.map((x) => -x),
    );
  });

  it("a handful of numbers holding -0 (a batch or result of one or two items) comes back exactly", async () => {
    for (const wire of ["msgpack", "ipc"] as const) {
      // one item: a batch of one number, and a result of one vector of three
      assert.deepEqual(await through<number[]>([-0], worker(fns, "vectorOf", { maxWorkers: 1, wire })), [[-0, 0, -0]]);
      const pair = await through<number>([-0, 0], worker(fns, "same", { maxWorkers: 1, wire }));
      assert.ok(Object.is(pair[0], -0) && Object.is(pair[1], 0), `${wire}: ${pair.join()}`);
    }
  });

  // a result with a failed item (its value undefined) goes as msgpack: batch-settle.test.ts
  it("a batch that mixes numbers with other values goes the other way and arrives whole", async () => {
    const mixed = [...many.slice(0, 50), "a string", { n: 1 }, [1, 2], 7n, null, ...many.slice(50, 100)];
    const out = await through<unknown>(mixed, worker(fns, "same", { maxWorkers: 1 }));
    assert.deepEqual(out, mixed);
  });
});

describe("numbers through a child() stage", () => {
  it("fractions and vectors of them come back exactly, -0 and NaN included, in order", async () => {
    const out = await through<number>(many, child(fns, "same", { maxWorkers: 2 }));
    assert.equal(out.length, many.length);
    for (let k = 0; k < many.length; k++)
      assert.ok(Object.is(out[k], many[k]), `item ${k}: ${out[k]} is not ${many[k]}`);
    assert.deepEqual(
      await through<number[]>(many, child(fns, "vectorOf", { maxWorkers: 2 })),
      many.map((x) => [x, -x, x / 3]),
    );
  });

  it("a handful of numbers holding -0 comes back exactly", async () => {
    assert.deepEqual(await through<number[]>([-0], child(fns, "vectorOf", { maxWorkers: 1 })), [[-0, 0, -0]]);
    const pair = await through<number>([-0, 5], child(fns, "same", { maxWorkers: 1 }));
    assert.ok(Object.is(pair[0], -0) && pair[1] === 5, pair.join());
  });

  it("32-bit integers (as msgpack) come back exactly, and -0 among them too (packed)", async () => {
    const ints = Array.from({ length: 2000 }, (_, k) => (k - 1000) * 12345);
    assert.deepEqual(await through<number>(ints, child(fns, "same", { maxWorkers: 2 })), ints);
    const withNegativeZero = [...ints.slice(0, 100), -0, ...ints.slice(100, 200)];
    const out = await through<number>(withNegativeZero, child(fns, "same", { maxWorkers: 1 }));
    assert.ok(Object.is(out[100], -0));
    assert.deepEqual(out, withNegativeZero);
  });
});
