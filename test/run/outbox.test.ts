/**
 * The stage runner's outbox: what a burst of results (a pool's replies, a mapBatch's batches)
 * leaves in it goes out in order, in buffers no larger than OUTBOX_SEGMENT (V8 makes a longer
 * array a large object, and pushes into one are several times dearer), waiting for room below
 * between buffers; what it holds meanwhile is what the checkpoint's watermark sees.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Outbox, OUTBOX_SEGMENT } from "../../src/run/stage/Outbox.js";
import { MANY, READY } from "../../src/run/stage/ReorderRing.js";
import type { Emitter } from "../../src/run/emit/Emitter.js";
import type { RunScope } from "../../src/run/RunScope.js";

/** An emitter that records what it is given; `hold(k)` makes its k-th emit (0-based) wait until released. */
function recorder() {
  const calls: { values: unknown[]; indexes: number[]; storage: unknown[]; length: number }[] = [];
  const holds = new Map<number, { promise: Promise<void>; release: () => void }>();
  const emitter = {
    emit(values: unknown[], indexes: ArrayLike<number>, n: number): Promise<void> | undefined {
      calls.push({
        values: values.slice(0, n),
        indexes: Array.from(indexes).slice(0, n),
        storage: values,
        length: values.length,
      });
      return holds.get(calls.length - 1)?.promise;
    },
  };
  const hold = (k: number): (() => void) => {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    holds.set(k, { promise, release });
    return release;
  };
  return { emitter: emitter as unknown as Emitter, calls, hold };
}

const scope = {
  fail: (e: unknown) => assert.fail(String(e)),
  signal: new AbortController().signal,
} as unknown as RunScope;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** An outbox over a {@link recorder}, counting its `drained` calls. */
function opened() {
  const r = recorder();
  const state = { drained: 0 };
  const outbox = new Outbox(
    r.emitter,
    scope,
    () => false,
    () => state.drained++,
  );
  return { ...r, outbox, drained: (): number => state.drained };
}

describe("Outbox", () => {
  it("hands a burst on in order, in buffers of at most OUTBOX_SEGMENT items", async () => {
    const { outbox, calls, drained } = opened();
    // one batch's 10,000 results, then single values, all in one turn
    outbox.append(MANY, range(0, 10_000), 7);
    for (let i = 10_000; i < 10_100; i++) outbox.appendValue(i, i);
    assert.equal(outbox.length, 10_100);
    await turn();
    assert.deepEqual(
      calls.map((c) => c.values.length),
      [OUTBOX_SEGMENT, OUTBOX_SEGMENT, 10_100 - 2 * OUTBOX_SEGMENT],
    );
    for (const c of calls) assert.ok(c.length <= OUTBOX_SEGMENT, `a buffer of ${c.length} items`);
    assert.deepEqual(
      calls.flatMap((c) => c.values),
      range(0, 10_100),
    );
    assert.deepEqual(
      calls.flatMap((c) => c.indexes),
      [...Array.from({ length: 10_000 }, () => 7), ...range(10_000, 100)],
    );
    assert.equal(outbox.length, 0);
    assert.equal(drained(), 1);
    // nothing emitted is kept alive by the buffers kept for reuse
    for (const c of calls) assert.ok(c.storage.every((v) => v === undefined));
    // a second burst reuses that storage: its own items only, in order
    calls.length = 0;
    outbox.append(MANY, range(50_000, 9_000), 8);
    outbox.appendValue("last", 9);
    await turn();
    assert.deepEqual(
      calls.flatMap((c) => c.values),
      [...range(50_000, 9_000), "last"],
    );
    assert.deepEqual(
      calls.flatMap((c) => c.indexes),
      [...Array.from({ length: 9_000 }, () => 8), 9],
    );
    assert.equal(drained(), 2);
  });

  it("waits for room below between buffers; holds what has not gone out, then goes on in order", async () => {
    const { outbox, calls, hold, drained } = opened();
    const release = hold(1); // the second buffer waits for room
    outbox.append(MANY, range(0, 3 * OUTBOX_SEGMENT), 0);
    await turn();
    assert.equal(calls.length, 2);
    assert.equal(outbox.flushing, true);
    assert.equal(drained(), 0);
    // the waiting buffer and the one after it are still held (all from source index 0 here)
    let held = 0;
    outbox.forEachIndex(() => held++);
    assert.equal(held, 2 * OUTBOX_SEGMENT);
    // appended meanwhile: goes out after them, not before
    outbox.appendValue("late", 99);
    assert.equal(outbox.minIndex(Infinity), 0);
    held = 0;
    outbox.forEachIndex(() => held++);
    assert.equal(held, 2 * OUTBOX_SEGMENT + 1);
    await turn();
    assert.equal(calls.length, 2, "nothing more goes out while a buffer waits");
    release();
    await turn();
    assert.deepEqual(
      calls.map((c) => c.values.length),
      [OUTBOX_SEGMENT, OUTBOX_SEGMENT, OUTBOX_SEGMENT, 1],
    );
    assert.deepEqual(calls.at(-1)!.values, ["late"]);
    assert.equal(outbox.flushing, false);
    assert.equal(outbox.minIndex(Infinity), Infinity);
    assert.equal(drained(), 1);
  });

  it("the watermark sees the smallest index held in any buffer, filling or flushing", async () => {
    const { outbox, hold } = opened();
    const release = hold(0);
    outbox.appendValue("a", 5);
    await turn(); // "a" waits for room below
    outbox.append(MANY, range(0, OUTBOX_SEGMENT), 1); // fills one buffer
    outbox.append(READY, "b", 3); // and starts another
    assert.equal(outbox.minIndex(Infinity), 1);
    const seen: number[] = [];
    outbox.forEachIndex((i) => seen.push(i));
    assert.deepEqual(
      [...new Set(seen)].sort((x, y) => x - y),
      [1, 3, 5],
    );
    assert.equal(seen.length, OUTBOX_SEGMENT + 2);
    release();
    await turn();
    assert.equal(outbox.minIndex(Infinity), Infinity);
  });
});
