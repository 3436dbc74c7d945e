import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { worker } from "../../src/executor/pool/stage/worker.js";
import { child } from "../../src/executor/pool/stage/child.js";
import { isPoolStage } from "../../src/executor/pool/stage/PoolStage.js";
import { collectTransferables } from "../../src/executor/pool/wire/collectTransferables.js";
import { BatchSizer } from "../../src/executor/pool/executor/BatchSizer.js";
import { ItemCosts } from "../../src/executor/pool/workers/ItemCosts.js";
import { attempt, attemptAll, fns, values } from "./harness.js";

describe("pool stage descriptors", () => {
  it("are typed, branded plain objects with a factory the pipeline builder calls", () => {
    const d = worker<string, number>(fns, "inc", { maxWorkers: 2 });
    assert.ok(isPoolStage(d));
    assert.equal(d.context, "worker");
    assert.equal(d.exportName, "inc");
    assert.equal(d.moduleUrl, fns.href);
    assert.equal(d.factory.context, "worker");
    assert.equal(d.factory.colocationKey, worker(fns, "double", { maxWorkers: 2 }).factory.colocationKey);
    assert.notEqual(d.factory.colocationKey, child(fns, "inc", { maxWorkers: 2 }).factory.colocationKey);
    assert.notEqual(d.factory.colocationKey, worker(fns, "inc", { maxWorkers: 3 }).factory.colocationKey);
    assert.equal(isPoolStage({}), false);
  });

  it("validate the module and options at construction, naming the option", () => {
    assert.throws(
      () => worker("./relative.js", "f"),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "module",
    );
    assert.throws(
      () => worker(fns, ""),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "exportName",
    );
    assert.throws(
      () => worker(fns, "f", { maxWorkers: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "pool.maxWorkers",
    );
    assert.throws(
      () => child(fns, "f", { minWorkers: 3, maxWorkers: 2 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "pool.minWorkers",
    );
    assert.throws(
      () => worker(fns, "f", { maxWorker: 2 } as never),
      (e: unknown) =>
        e instanceof InvalidOptionError && e.option === "pool.maxWorker" && /unknown option/.test(e.message),
    );
    assert.throws(
      () => child(fns, "f", { wire: "json" as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "pool.wire",
    );
  });
});

describe("pool executors", () => {
  it("run a chain given directly", async () => {
    for (const stage of [worker(fns, "inc", { maxWorkers: 1 }), child(fns, "inc", { maxWorkers: 1 })]) {
      const e = createExecutor(stage, "s", [{ kind: "map", exportName: "double" }]);
      assert.deepEqual(values(await attemptAll(e, [1, 2])), [2, 4]);
      await e.close();
    }
  });
});

describe("transferables", () => {
  it("finds whole-buffer views in items, skips partial views, shared and duplicate buffers", () => {
    const a = new Float64Array(4);
    const b = new Uint8Array(8);
    const partial = new Uint8Array(new ArrayBuffer(16), 4, 4);
    const out = collectTransferables(
      { a, nested: [{ b }, a], partial, shared: new Uint8Array(new SharedArrayBuffer(8)), n: 1 },
      [],
    );
    assert.deepEqual(out, [a.buffer, b.buffer]);
    assert.deepEqual(collectTransferables(42, []), []);
  });

  it("moves item buffers to a thread and result buffers back", async () => {
    const e = createExecutor(worker(fns, "typed", { maxWorkers: 1 }), "typed");
    const data = new Float64Array([1, 2, 3]);
    const pending = attempt(e, { data });
    await new Promise((r) => setImmediate(r));
    assert.equal(data.buffer.byteLength, 0, "the item's buffer was transferred, not copied");
    const o = await pending;
    assert.ok(o.ok);
    const value = o.value as { sum: number; inputLength: number; out: Float64Array };
    assert.equal(value.sum, 6);
    assert.equal(value.inputLength, 3);
    assert.ok(value.out instanceof Float64Array);
    assert.deepEqual([...value.out], [6, 6, 6]);
    await e.close();
  });

  it("copies item buffers with transferItems: false", async () => {
    const e = createExecutor(worker(fns, "typed", { maxWorkers: 1, transferItems: false }), "typed");
    const data = new Float64Array([1, 2]);
    const o = await attempt(e, { data });
    assert.ok(o.ok);
    assert.equal(data.length, 2);
    await e.close();
  });

  it("carries typed arrays to child processes over msgpack and over IPC", async () => {
    for (const wire of ["msgpack", "ipc"] as const) {
      const e = createExecutor(child(fns, "typed", { maxWorkers: 1, wire }), "typed");
      const o = await attempt(e, { data: new Float64Array([2, 3]) });
      assert.ok(o.ok, wire);
      assert.deepEqual([...(o.value as { out: Float64Array }).out], [5, 5]);
      await e.close();
    }
  });
});

describe("pool life cycle", () => {
  it("replaces a worker after maxItemsPerWorker items", async () => {
    const e = createExecutor(worker(fns, "whoAmI", { maxWorkers: 1, maxItemsPerWorker: 5 }), "who");
    const seen = new Set<unknown>();
    for (let round = 0; round < 3; round++) for (const v of values(await attemptAll(e, [1, 2, 3, 4, 5]))) seen.add(v);
    assert.equal(seen.size, 3, "three workers served 5 items each");
    await e.close();
  });

  it("stops idle workers above minWorkers", async () => {
    const e = createExecutor(worker(fns, "inc", { minWorkers: 1, maxWorkers: 2, idleTimeoutMs: 20 }), "inc");
    await attemptAll(
      e,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    await e.pool.atMinimum();
    assert.equal(e.pool.running, 1);
    await e.close();
    assert.equal(e.pool.running, 0);
  });
});

describe("BatchSizer", () => {
  it("sizes batches to about targetMs of work, within 1..max", () => {
    const s = new BatchSizer(1, 1024, 16);
    assert.equal(s.size, 16);
    s.update(0.00001);
    assert.equal(s.size, 1024);
    s.update(5);
    assert.equal(s.size, 1, "jumps down at once when items turn slow");
    for (let i = 0; i < 60; i++) s.update(0.01); // the average forgets the 5 ms outlier
    assert.equal(s.size, 100);
  });

  it("starts from a learned cost per item as from a first report", () => {
    const s = new BatchSizer(1, 1024, 16, 0.004);
    assert.equal(s.size, 250);
    assert.equal(s.perItemMs, 0.004);
    s.update(1);
    assert.equal(s.size, 1, "still jumps down at once when items turn slow");
    const slowBefore = new BatchSizer(1, 1024, 16, 5);
    assert.equal(slowBefore.size, 1);
    slowBefore.update(0.002);
    assert.equal(slowBefore.size, 500, "the first report replaces a learned cost, not averaged with it");
    slowBefore.update(0.001);
    assert.equal(slowBefore.perItemMs, 0.002 * 0.7 + 0.001 * 0.3, "later reports are averaged again");
    assert.equal(new BatchSizer(1, 1024, 16, undefined).size, 16, "nothing learned: the guess");
    assert.equal(new BatchSizer(1, 1024, 16, Number.NaN).size, 16, "a NaN cost is no report");
  });
});

describe("ItemCosts", () => {
  const step = (exportName: string, kind: "map" | "filter" = "map") => ({ kind, exportName });

  it("names a chain by its steps' kinds and exports", () => {
    assert.equal(ItemCosts.keyOf([step("inc")]), ItemCosts.keyOf([{ ...step("inc"), stage: "other" }]));
    assert.notEqual(ItemCosts.keyOf([step("inc")]), ItemCosts.keyOf([step("inc", "filter")]));
    assert.notEqual(ItemCosts.keyOf([step("inc"), step("double")]), ItemCosts.keyOf([step("double"), step("inc")]));
    assert.notEqual(ItemCosts.keyOf([step("a:b")]), ItemCosts.keyOf([step("a"), step("b")]));
  });

  it("keeps the last cost of each chain, ignores what is no cost, and forgets the least recently measured past 64", () => {
    const costs = new ItemCosts();
    costs.set("a", 0.5);
    costs.set("a", 0.25);
    assert.equal(costs.get("a"), 0.25);
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) costs.set("b", bad);
    assert.equal(costs.get("b"), undefined);
    for (let i = 0; i < 63; i++) costs.set(`c${i}`, i);
    assert.equal(costs.size, 64);
    costs.set("a", 0.125); // measured again: now the most recent
    costs.set("d", 1);
    assert.equal(costs.size, 64);
    assert.equal(costs.get("c0"), undefined, "the least recently measured went");
    assert.equal(costs.get("a"), 0.125);
    assert.equal(costs.get("d"), 1);
  });
});

describe("a pool's executors learn batch sizes from each other", () => {
  for (const [context, make] of [
    ["thread", worker],
    ["process", child],
  ] as const) {
    it(`${context}: a new executor of a chain the pool ran starts at the learned size; another chain at 16`, async () => {
      // options of their own: no other test's pool of the same module and options measured anything
      const options = { maxWorkers: 1, idleTimeoutMs: 4_321 };
      const first = createExecutor(make(fns, "inc", options), "first");
      const second = createExecutor(make(fns, "inc", options), "second");
      const other = createExecutor(make(fns, "double", options), "other");
      try {
        assert.equal(first.batchSize, 16, "nothing learned yet");
        // tiny items: the first replies grow the batch size well past the initial 16
        for (let round = 0; round < 3; round++)
          await attemptAll(
            first,
            Array.from({ length: 2_000 }, (_, i) => i),
          );
        const learned = first.batchSize;
        assert.ok(learned > 16, `grown: ${learned}`);
        const third = createExecutor(make(fns, "inc", options), "third");
        try {
          assert.equal(third.pool, first.pool, "one pool for equal options");
          assert.equal(third.batchSize, learned);
          assert.equal(second.batchSize, 16, "made before anything was learned: as it started");
          assert.equal(other.pool, first.pool);
          assert.equal(other.batchSize, 16, "another chain's items may cost anything");
          assert.deepEqual(values(await attemptAll(third, [1, 2, 3])), [2, 3, 4]);
        } finally {
          await third.close();
        }
      } finally {
        await Promise.all([first.close(), second.close(), other.close()]);
      }
    });
  }
});

describe("TypeScript stage modules", () => {
  it("load in threads and in processes", async () => {
    const ts = new URL("../fixtures/workers/typed.ts", import.meta.url);
    for (const make of [worker, child]) {
      const e = createExecutor(make<string, string>(ts, "shout", { maxWorkers: 1 }), "loud");
      assert.deepEqual(values(await attemptAll(e, ["hi"])), ["HI!(loud)"]);
      await e.close();
    }
  });
});

describe("memory recycling", () => {
  it("replaces a worker whose reported memory passes maxMemoryMb", async () => {
    const e = createExecutor(worker(fns, "whoAmI", { maxWorkers: 1, maxMemoryMb: 1 }), "who");
    const first = values(await attemptAll(e, [1]))[0];
    const second = values(await attemptAll(e, [1]))[0];
    assert.notEqual(first, second, "every worker reports more than 1 MB of heap on its first reply");
    await e.close();
  });
});
