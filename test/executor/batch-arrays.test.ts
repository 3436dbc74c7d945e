import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Attempt, Settle } from "../../src/executor/Executor.js";
import { AttemptBatch } from "../../src/executor/pool/executor/AttemptBatch.js";
import { BatchArrays } from "../../src/executor/pool/executor/BatchArrays.js";

const signal = new AbortController().signal;
const settle: Settle = { resolve: () => {}, reject: () => {} };

/** A batch of `n` attempts (items `from`, `from + 1`, …) made in arrays from `store`, sealed. */
function filled(store: BatchArrays, n: number, from = 0, added = n): AttemptBatch {
  const batch = new AttemptBatch(1, n, undefined, false, undefined, store.take(n));
  for (let k = 0; k < added; k++) {
    const attempt: Attempt = { item: { v: from + k }, index: from + k, attempt: 1, signal };
    batch.add(attempt, settle);
  }
  batch.seal();
  return batch;
}

describe("a pool executor's kept batch arrays", () => {
  it("a finished batch's arrays come back emptied: nothing it held is kept alive", () => {
    const store = new BatchArrays();
    const first = filled(store, 4);
    const { attempts, settles, items } = first;
    store.give(first);
    assert.deepEqual([...attempts], [undefined, undefined, undefined, undefined]);
    assert.deepEqual([...settles], [undefined, undefined, undefined, undefined]);
    assert.deepEqual([...items], [undefined, undefined, undefined, undefined]);
    const next = filled(store, 4, 100);
    assert.equal(next.attempts, attempts, "the same arrays serve the next batch of that size");
    assert.equal(next.items, items);
    assert.deepEqual(
      next.items.map((i) => (i as { v: number }).v),
      [100, 101, 102, 103],
    );
  });

  it("a roomier pair serves a smaller batch, whose items array is its own size and read to its size only", () => {
    const store = new BatchArrays();
    const big = filled(store, 8);
    const roomy = big.attempts;
    store.give(big);
    const small = filled(store, 3, 50);
    assert.equal(small.attempts, roomy, "attempts and settles with room for 8 serve a batch of 3");
    assert.equal(small.items.length, 3, "the message carries exactly the batch's items");
    assert.notEqual(small.items, big.items, "an items array serves its exact size only");
    assert.equal(small.size, 3);
    assert.deepEqual(
      small.attempts.slice(0, small.size).map((a) => a.index),
      [50, 51, 52],
    );
  });

  it("a batch sealed with fewer attempts than its room carries only those", () => {
    const store = new BatchArrays();
    const part = filled(store, 6, 0, 2);
    assert.equal(part.size, 2);
    assert.equal(part.items.length, 2);
    store.give(part);
    // its items array, now 2 long, serves a batch of 2 next
    const two = filled(store, 2, 7);
    assert.equal(two.items, part.items);
    assert.deepEqual(
      two.items.map((i) => (i as { v: number }).v),
      [7, 8],
    );
  });

  it("keeps a few: once full, a roomier pair takes the place of the least roomy one", () => {
    const store = new BatchArrays();
    const small = Array.from({ length: 8 }, () => filled(store, 2));
    for (const b of small) store.give(b);
    const big = filled(store, 16);
    store.give(big);
    // the 16-room pair is kept: a batch of 10 gets it
    assert.equal(filled(store, 10).attempts, big.attempts);
  });
});
