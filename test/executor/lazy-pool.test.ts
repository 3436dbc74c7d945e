import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, worker } from "../../src/index.js";
import type { Attempt, Settle } from "../../src/executor/Executor.js";
import { fns } from "./harness.js";

/** Runs one attempt of `item` on `executor`; resolves with its outcome. */
function attempt(
  executor: { execute(a: Attempt, s: Settle): void },
  item: number,
  index: number,
): Promise<{ value?: unknown; error?: unknown }> {
  const signal = new AbortController().signal;
  return new Promise((resolve) =>
    executor.execute(
      { item, index, attempt: 1, signal },
      { resolve: (value) => resolve({ value }), reject: (error) => resolve({ error }) },
    ),
  );
}

// Each test file runs in a process of its own: the pool code is not loaded when these start.
describe("a pool stage's executor loads the pool code on its first run", () => {
  it("closed before the pool code loaded: waiting attempts fail with a CancelledError and no pool starts", async () => {
    const executor = worker<number, number>(fns, "double", { maxWorkers: 1 }).factory.create("early", [
      { kind: "map", exportName: "double" },
    ]);
    assert.ok(executor.window(4) >= 1, "a window before the pool exists");
    const waiting = [attempt(executor, 1, 0), attempt(executor, 2, 1)];
    await executor.close();
    for (const outcome of await Promise.all(waiting))
      assert.ok(CancelledError.is(outcome.error), String(outcome.error));
    const after = await attempt(executor, 3, 2);
    assert.ok(CancelledError.is(after.error), "an attempt after close fails too");
    const { pools } = await import("../../src/executor/pool/workers/PoolRegistry.js");
    assert.equal(pools.size, 0, "no pool was started for the closed executor");
  });

  it("attempts made before the pool code loaded run, in order, once it has", async () => {
    const executor = worker<number, number>(fns, "double", { maxWorkers: 2 }).factory.create("late", [
      { kind: "map", exportName: "double" },
    ]);
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map((x, i) => attempt(executor, x, i)));
    assert.deepEqual(
      outcomes.map((o) => o.value),
      [2, 4, 6, 8, 10],
    );
    assert.equal(executor.poolStats?.().context, "worker");
    await executor.close();
    const { pools } = await import("../../src/executor/pool/workers/PoolRegistry.js");
    assert.equal(pools.size, 0, "the pool closed with its last executor");
  });
});
