import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeIdlePools, InvalidOptionError, pipeline, worker, child } from "../../src/index.js";
import { pools } from "../../src/executor/pool/workers/PoolRegistry.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { fns, runScript } from "./harness.js";

/** Which workers ran `n` items of one pipeline run. */
async function whoRan(make: typeof worker, options: object, n = 4): Promise<Set<string>> {
  const seen = new Set<string>();
  await pipeline<number>("warm")
    .from(Array.from({ length: n }, (_, i) => i))
    .map(make<number, string>(fns, "whoAmI", { maxWorkers: 1, ...options }))
    .to((who) => void seen.add(who))
    .run();
  return seen;
}

describe("keepWarmMs: a pool outlives its run for the next one", () => {
  for (const [context, make] of [
    ["thread", worker],
    ["process", child],
  ] as const) {
    it(`${context}: the next run reuses the warm worker; closeIdlePools() closes it`, async () => {
      const before = pools.size;
      const first = await whoRan(make, { keepWarmMs: 60_000 });
      assert.equal(pools.size, before + 1, "the pool stays after its run");
      const second = await whoRan(make, { keepWarmMs: 60_000 });
      assert.equal(first.size, 1);
      assert.deepEqual(second, first, "the same worker ran the second run's items");
      await closeIdlePools();
      assert.equal(pools.size, before, "closed");
      const third = await whoRan(make, { keepWarmMs: 60_000 });
      assert.notDeepEqual(third, first, "a fresh worker after the close");
      await closeIdlePools();
    });
  }

  it("the next run of a warm pool starts with batches of the size its items were measured at", async () => {
    const options = { maxWorkers: 1, keepWarmMs: 60_000, idleTimeoutMs: 4_322 }; // a pool key no other test uses
    try {
      const fresh = createExecutor(worker(fns, "inc", options), "probe");
      const freshSize = fresh.batchSize;
      await fresh.close(); // the pool stays warm
      assert.equal(freshSize, 16, "a new pool knows nothing of its items");
      await pipeline<number>("warm")
        .from(Array.from({ length: 20_000 }, (_, i) => i))
        .map(worker<number, number>(fns, "inc", options))
        .run();
      const next = createExecutor(worker(fns, "inc", options), "probe");
      const nextSize = next.batchSize;
      await next.close();
      assert.ok(nextSize > 16, `learned: ${nextSize}`);
      await closeIdlePools();
      const cold = createExecutor(worker(fns, "inc", options), "probe");
      const coldSize = cold.batchSize;
      await cold.close();
      assert.equal(coldSize, 16, "a closed pool's costs went with it");
    } finally {
      await closeIdlePools();
    }
  });

  it("without keepWarmMs, each run's own pool starts from nothing: batch sizes do not depend on earlier runs", async () => {
    const options = { maxWorkers: 1, idleTimeoutMs: 4_323 }; // a pool key no other test uses
    const sizes: number[] = [];
    const poolsSeen = new Set<unknown>();
    for (let run = 0; run < 2; run++) {
      // a probe executor opened beside the run's stage shares its pool, closed with the probe
      const probe = createExecutor(child(fns, "double", options), "probe");
      sizes.push(probe.batchSize);
      poolsSeen.add(probe.pool);
      await pipeline<number>("cold")
        .from(Array.from({ length: 5_000 }, (_, i) => i))
        .map(child<number, number>(fns, "double", options))
        .run();
      await probe.close();
    }
    assert.equal(poolsSeen.size, 2, "each run had a pool of its own");
    assert.deepEqual(sizes, [16, 16]);
  });

  it("without keepWarmMs (the default) the pool closes when its run ends, and each run starts its own", async () => {
    const before = pools.size;
    const first = await whoRan(worker, {});
    assert.equal(pools.size, before);
    const second = await whoRan(worker, {});
    assert.notDeepEqual(second, first);
  });

  it("a warm pool closes by itself after keepWarmMs with no run", async () => {
    const before = pools.size;
    await whoRan(worker, { keepWarmMs: 20 });
    assert.equal(pools.size, before + 1);
    // the close is a real timer: wait for it, bounded far above 20 ms
    for (let i = 0; i < 500 && pools.size > before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(pools.size, before);
  });

  it("closeIdlePools() leaves a pool that a running stage holds", async () => {
    const before = pools.size;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline<number>("held")
      .from([1, 2])
      .map(worker<number, number>(fns, "inc", { maxWorkers: 1, keepWarmMs: 60_000 }))
      .to(() => gate)
      .run();
    while (pools.size === before) await new Promise((r) => setImmediate(r));
    await closeIdlePools();
    assert.equal(pools.size, before + 1, "in use: kept");
    release();
    await run;
    assert.equal(pools.size, before + 1, "warm now");
    await closeIdlePools();
    assert.equal(pools.size, before);
  });

  it("a warm pool of threads and one of processes do not keep the process alive", async () => {
    const script = `
      import { pipeline, worker, child } from ${JSON.stringify(new URL("../../src/index.ts", import.meta.url).href)};
      const url = ${JSON.stringify(fns.href)};
      for (const make of [worker, child]) {
        await pipeline("p").from([1, 2, 3]).map(make(url, "inc", { minWorkers: 1, keepWarmMs: 600_000 })).run();
      }
      console.log("done");
    `;
    const { code, out } = await runScript(script);
    assert.equal(code, 0);
    assert.match(out, /done/);
  });

  it("validates keepWarmMs where the stage is made", () => {
    assert.throws(
      () => worker(fns, "inc", { keepWarmMs: -1 }),
      (e: unknown) => e instanceof InvalidOptionError && /pool\.keepWarmMs/.test(e.message) && /-1/.test(e.message),
    );
  });
});
