import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BATCH_BYTES, BatchBytes } from "../../src/executor/pool/executor/BatchBytes.js";
import { child } from "../../src/executor/pool/stage/child.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { worker } from "../../src/executor/pool/stage/worker.js";
import { attemptAll, fns, values } from "./harness.js";

const MIB = 1024 * 1024;

describe("BatchBytes", () => {
  it("holds nothing back until a frame was measured", () => {
    const b = new BatchBytes(256 * MIB);
    assert.equal(b.cap, Number.POSITIVE_INFINITY);
    b.sent(0, 100); // no items: nothing to learn from
    b.sent(10, -1); // not measured
    assert.equal(b.cap, Number.POSITIVE_INFINITY);
  });

  it("sizes a batch to BATCH_BYTES from the bytes per item sent, at once when items grow", () => {
    const b = new BatchBytes(256 * MIB);
    b.sent(16, 16 * 64 * 1024); // 64 KiB an item
    assert.equal(b.cap, BATCH_BYTES / (64 * 1024));
    b.sent(4, 4 * 256 * 1024); // larger: followed at once
    assert.equal(b.cap, BATCH_BYTES / (256 * 1024));
    b.sent(1000, 1000 * 1024); // smaller: a moving average, so one batch of small items does not undo it
    const avg = 0.7 * 256 * 1024 + 0.3 * 1024;
    assert.equal(b.cap, Math.floor(BATCH_BYTES / avg));
    b.sent(10, 10 * 64 * MIB); // one item over the budget still goes, alone
    assert.equal(b.cap, 1);
  });

  it("keeps a batch to a quarter of a smaller maxFrameBytes", () => {
    const b = new BatchBytes(1 * MIB);
    b.sent(10, 10 * 1024);
    assert.equal(b.cap, 256, "256 KiB of 1 KiB items");
  });

  it("tiny items are far from the budget", () => {
    const b = new BatchBytes(256 * MIB);
    b.sent(1024, 1024 * 3); // numbers: about 3 bytes each in msgpack
    assert.ok(b.cap > 100_000);
  });
});

describe("pool batch sizes by bytes", () => {
  it("child(): large items that cost nothing to run go a few MiB to a frame, not thousands to one", async () => {
    // options of their own: a pool no other test's executors measured; a second of work a batch
    // (targetBatchMs), so the time the items take never bounds the batch, only their bytes do
    const exec = createExecutor(
      child(fns, "same", { maxWorkers: 1, idleTimeoutMs: 4_322, targetBatchMs: 1_000 }),
      "large",
    );
    try {
      const item = "x".repeat(64 * 1024);
      const items = Array.from({ length: 300 }, (_, i) => `${i}:${item}`);
      for (let round = 0; round < 3; round++) {
        const out = values(await attemptAll(exec, items));
        assert.equal(out.length, items.length);
        for (let i = 0; i < items.length; i++) assert.equal(out[i], items[i], `item ${i}, round ${round}`);
      }
      // 64 KiB an item: 4 MiB is 64 of them (less the frame's own bytes); the time each takes
      // would allow the whole 1,024 (maxBatchSize)
      assert.ok(exec.batchSize <= 64, `batch size ${exec.batchSize}`);
      assert.ok(exec.batchSize >= 32, `batch size ${exec.batchSize}`);
    } finally {
      await exec.close();
    }
  });

  it("child(): under a small maxFrameBytes, items that would not fit 16 to a frame go through and batches shrink to fit", async () => {
    const exec = createExecutor(child(fns, "same", { maxWorkers: 1, maxFrameBytes: 1 * MIB }), "small-frames");
    try {
      const items = Array.from({ length: 100 }, (_, i) => `${i}:${"y".repeat(100 * 1024)}`);
      for (let round = 0; round < 2; round++) assert.deepEqual(values(await attemptAll(exec, items)), items);
      assert.ok(exec.batchSize <= 2, `a quarter of 1 MiB holds two items of 100 KiB: ${exec.batchSize}`);
    } finally {
      await exec.close();
    }
  });

  it("worker(): a thread's messages are not measured, so the batch size follows the time alone", async () => {
    // a second of work a batch, as above: with the default (1 ms) the time alone sized these
    // batches to 221-609 items here, and to 37 in one CI run (a slow batch is followed at once)
    const exec = createExecutor(
      worker(fns, "same", { maxWorkers: 1, idleTimeoutMs: 4_323, targetBatchMs: 1_000 }),
      "large",
    );
    try {
      const items = Array.from({ length: 300 }, (_, i) => `${i}:${"x".repeat(64 * 1024)}`);
      for (let round = 0; round < 3; round++) assert.deepEqual(values(await attemptAll(exec, items)), items);
      assert.ok(exec.batchSize > 64, `batch size ${exec.batchSize}`);
    } finally {
      await exec.close();
    }
  });
});
