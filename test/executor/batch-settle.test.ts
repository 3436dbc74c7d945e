import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BatchSettle, Settle } from "../../src/executor/Executor.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { CancelledError, child, formatPlan, pipeline, worker } from "../../src/index.js";
import { fns } from "./harness.js";

const contexts = [
  ["worker", worker],
  ["child", child],
] as const;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * A runner stand-in that takes batches: records each resolveBatch call, and what each settle got
 * (by the item it was handed).
 */
function batchRunner(): {
  owner: BatchSettle;
  calls: number[];
  settles: (item: number, onDone: () => void) => Settle;
  got: Map<number, { value?: unknown; error?: unknown }>;
} {
  const calls: number[] = [];
  const got = new Map<number, { value?: unknown; error?: unknown }>();
  const byItem = new Map<Settle, { item: number; onDone: () => void }>();
  const owner: BatchSettle = {
    resolveBatch(settles, values, n) {
      calls.push(n);
      for (let k = 0; k < n; k++) {
        const s = byItem.get(settles[k]!)!;
        got.set(s.item, { value: values[k] });
        s.onDone();
      }
    },
  };
  const settles = (item: number, onDone: () => void): Settle => {
    const settle: Settle = {
      owner,
      resolve: () => assert.fail(`item ${item} resolved one by one, not in its batch`),
      reject: (error) => {
        got.set(item, { error });
        onDone();
      },
    };
    byItem.set(settle, { item, onDone });
    return settle;
  };
  return { owner, calls, settles, got };
}

for (const [name, make] of contexts) {
  describe(`the batch settle path: ${name}()`, () => {
    it("a pool resolves a batch's successes in one call to their runner, and fails the others by index", async () => {
      const exec = createExecutor(make<number, number>(fns, "fail", { maxWorkers: 1 }), "s");
      try {
        const runner = batchRunner();
        const signal = new AbortController().signal;
        const items = range(20);
        await new Promise<void>((resolve) => {
          let left = items.length;
          const done = (): void => {
            if (--left === 0) resolve();
          };
          for (const i of items) exec.execute({ item: i, index: i, attempt: 1, signal }, runner.settles(i, done));
        });
        // fewer calls than items: they came in batches (items executed in one tick leave together)
        assert.ok(runner.calls.length < items.length, `calls: ${runner.calls.join(", ")}`);
        assert.equal(
          runner.calls.reduce((a, b) => a + b, 0),
          items.length - 1,
        );
        for (const i of items) {
          const outcome = runner.got.get(i)!;
          if (i === 3) assert.match(String((outcome.error as Error).message), /bad item 3/);
          else assert.deepEqual(outcome, { value: i }, `item ${i}`);
        }
      } finally {
        await exec.close();
      }
    });

    it("settles without an owner are resolved one by one, as before", async () => {
      const exec = createExecutor(make<number, number>(fns, "inc", { maxWorkers: 1 }), "s");
      try {
        const signal = new AbortController().signal;
        const out = await Promise.all(
          range(10).map(
            (i) =>
              new Promise<unknown>((resolve, reject) =>
                exec.execute({ item: i, index: i, attempt: 1, signal }, { resolve, reject }),
              ),
          ),
        );
        assert.deepEqual(
          out,
          range(10).map((i) => i + 1),
        );
      } finally {
        await exec.close();
      }
    });

    it("in a pipeline: order, stats and failures by index through the batch path", async () => {
      const n = 5000;
      const failed: number[] = [];
      const run = pipeline<number>("batched")
        .from(range(n))
        .map(make<number, number>(fns, "fail", { maxWorkers: 2 }), {
          name: "w",
          concurrency: 2,
          onError: "skip",
        });
      const out: number[] = [];
      const started = run
        .tap((x) => {
          out.push(x);
        })
        .run();
      started.on("stage:error", (e) => failed.push(e.index));
      const r = await started;
      assert.deepEqual(
        out,
        range(n).filter((i) => i !== 3),
      );
      assert.deepEqual(failed, [3]);
      assert.equal(r.stats.w!.in, n);
      assert.equal(r.stats.w!.out, n - 1);
      assert.equal(r.stats.w!.errors, 1);
      assert.equal(r.stats.w!.inFlight, 0);
      assert.equal(r.lowWatermark, n);
    });

    it("retries on the batch path: every item fails once, is retried on its own, and goes out in order", async () => {
      const n = 600;
      let retries = 0;
      const out: number[] = [];
      const started = pipeline<number>("retried")
        .from(range(n))
        .map(make<number, number>(fns, "failFirstAttempt", { maxWorkers: 2 }), {
          name: "w",
          concurrency: 2,
          retry: { attempts: 2, baseMs: 1, jitter: 0 },
        })
        .to((x) => {
          out.push(x);
        })
        .run();
      started.on("stage:retry", () => retries++);
      const r = await started;
      assert.deepEqual(out, range(n));
      assert.equal(retries, n);
      assert.equal(r.stats.w!.retries, n);
      assert.equal(r.stats.w!.out, n);
    });

    it("a stop mid-run through the batch path: the run rejects with CancelledError and nothing is lost from the count", async () => {
      const controller = new AbortController();
      let seen = 0;
      function* source(): Generator<number> {
        for (let i = 0; ; i++) yield i;
      }
      const run = pipeline<number>("cancelled")
        .from(source())
        .map(make<number, number>(fns, "inc", { maxWorkers: 2 }), { name: "w", concurrency: 2 })
        .to(() => {
          if (++seen === 3000) controller.abort();
        })
        .run({ signal: controller.signal });
      await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
      const w = run.snapshot().stages.find((s) => s.name === "w")!;
      assert.ok(w.out >= 3000);
      // bounded: the source was not read far ahead of what went through (its channel and window)
      assert.ok(w.in - w.out <= 2 * 2 * 1024 + 4 * 1024, `in ${w.in}, out ${w.out}`);
    });
  });
}

describe("plan() and the batch settle path", () => {
  it("says a pool stage settles in batches, and which options still cost a step per item", () => {
    const plain = pipeline<number>("p").from([1]).map(worker<number, number>(fns, "inc"), { name: "w" });
    assert.equal(plain.plan().steps[1]!.pool?.settle, "batch");
    assert.deepEqual(plain.plan().steps[1]!.pool?.perItem, []);
    const slow = pipeline<number>("p")
      .from([1])
      .map(worker<number, number>(fns, "inc"), { name: "w", retry: 3, timeoutMs: 1000 });
    const perItem = slow.plan().steps[1]!.pool!.perItem;
    assert.equal(perItem.length, 2);
    assert.match(perItem[0]!, /^timeoutMs: /);
    assert.match(perItem[1]!, /^retry: /);
    assert.match(formatPlan(slow.plan()), /\n {2}per item: timeoutMs: .*; retry: /);
    assert.doesNotMatch(formatPlan(plain.plan()), /per item/);
  });
});
