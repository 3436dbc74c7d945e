import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Attempt, Settle } from "../../src/executor/Executor.js";
import { GroupBatch } from "../../src/executor/pool/executor/GroupBatch.js";
import { PoolExecutor } from "../../src/executor/pool/executor/PoolExecutor.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { CancelledError, ItemTransferredError, pipeline, worker } from "../../src/index.js";
import { systemClock } from "../../src/time/Clock.js";
import { attemptSizes } from "../helpers.js";
import { fns } from "./harness.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** One run for executeBatch: the attempt and its settle in one object, as a runner's slot is. */
interface Run extends Attempt, Settle {
  outcome?: { value?: unknown; error?: unknown };
}

function runs(items: readonly number[], signal: AbortSignal, onDone: () => void): Run[] {
  return items.map((item, index) => {
    const run: Run = {
      item,
      index,
      attempt: 1,
      signal,
      resolve: (value) => {
        assert.equal(run.outcome, undefined, `item ${index} settled twice`);
        run.outcome = { value };
        onDone();
      },
      reject: (error) => {
        assert.equal(run.outcome, undefined, `item ${index} settled twice`);
        run.outcome = { error };
        onDone();
      },
    };
    return run;
  });
}

/**
 * Counts the runs a pool executor is handed through its batch-submit path (`calls`: each call's
 * count) and the groups through its group path (`groups`: each group's size) while `fn` runs.
 */
async function countingSubmits<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number[]; groups: number[] }> {
  const calls: number[] = [];
  const groups: number[] = [];
  const original = PoolExecutor.prototype.executeBatch;
  const originalGroups = PoolExecutor.prototype.executeGroups;
  PoolExecutor.prototype.executeBatch = function (this: PoolExecutor, r, n) {
    calls.push(n);
    original.call(this, r, n);
  };
  PoolExecutor.prototype.executeGroups = function (this: PoolExecutor, g, n) {
    for (let k = 0; k < n; k++) groups.push(g[k]!.size);
    originalGroups.call(this, g, n);
  };
  try {
    return { result: await fn(), calls, groups };
  } finally {
    PoolExecutor.prototype.executeBatch = original;
    PoolExecutor.prototype.executeGroups = originalGroups;
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe("the batch-submit path", () => {
  const exec = createExecutor(worker<number, number>(fns, "fail", { maxWorkers: 1 }), "s");
  after(() => exec.close());

  it("settles each run of a batch exactly once: values, and the failures by index", async () => {
    const items = range(40);
    let left = items.length;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const batch = runs(items, new AbortController().signal, () => {
      if (--left === 0) done();
    });
    exec.executeBatch!(batch, batch.length);
    await finished;
    for (const i of items) {
      const outcome = batch[i]!.outcome!;
      if (i === 3) assert.match(String((outcome.error as Error).message), /bad item 3/);
      else assert.deepEqual(outcome, { value: i }, `item ${i}`);
    }
  });

  it("rejects the runs of an aborted signal with its reason, at once", () => {
    const ac = new AbortController();
    const reason = new Error("stopped");
    ac.abort(reason);
    const batch = runs([1, 2, 3], ac.signal, () => {});
    exec.executeBatch!(batch, 3);
    for (const run of batch) assert.equal(run.outcome?.error, reason);
  });

  it("fails a retry whose item's buffer an earlier attempt moved into a worker, as execute does", async () => {
    const bytes = new Uint8Array(8);
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] }); // moved away: detached here
    let left = 2;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const batch = runs([1], new AbortController().signal, () => {
      if (--left === 0) done();
    });
    const retry: Run = {
      item: { bytes },
      index: 1,
      attempt: 2,
      signal: batch[0]!.signal,
      resolve: (value) => {
        retry.outcome = { value };
        if (--left === 0) done();
      },
      reject: (error) => {
        retry.outcome = { error };
        if (--left === 0) done();
      },
    };
    exec.executeBatch!([batch[0]!, retry], 2);
    await finished;
    assert.ok(ItemTransferredError.is(retry.outcome?.error), String(retry.outcome?.error));
    assert.deepEqual(batch[0]!.outcome, { value: 1 });
  });

  it("rejects every run with a CancelledError once the executor is closed", async () => {
    const closed = createExecutor(worker<number, number>(fns, "inc", { maxWorkers: 1 }), "c");
    // let the pool code load, so the call reaches the pool executor itself
    await new Promise<void>((resolve) =>
      closed.execute(
        { item: 1, index: 0, attempt: 1, signal: new AbortController().signal },
        {
          resolve: () => resolve(),
          reject: () => resolve(),
        },
      ),
    );
    await closed.close();
    const batch = runs([1, 2], new AbortController().signal, () => {});
    closed.executeBatch!(batch, 2);
    for (const run of batch) assert.ok(run.outcome?.error instanceof CancelledError);
  });
});

describe("a pool stage's submits", () => {
  it("go to the pool a group at a time, every item once and in order; plan() says so", async () => {
    const p = pipeline<number>("submits")
      .from(range(5000))
      .map(worker<number, number>(fns, "inc", { maxWorkers: 2 }), { name: "w" });
    assert.equal(p.plan().steps[1]!.pool?.submit, "group");
    const out: number[] = [];
    const { result, calls, groups } = await countingSubmits(() => p.tap((x) => void out.push(x)).run());
    assert.deepEqual(
      out,
      range(5000).map((x) => x + 1),
    );
    assert.equal(result.stats.w!.in, 5000);
    assert.equal(result.stats.w!.out, 5000);
    assert.equal(result.stats.w!.inFlight, 0);
    assert.equal(result.lowWatermark, 5000);
    // the first pump's items wait for the pool code (a few, one by one); the rest go in groups
    assert.equal(sum(calls), 0, "no runs of single slots once the pool code loaded");
    const grouped = sum(groups);
    assert.ok(grouped <= 5000 && 5000 - grouped <= 64, `submitted in groups: ${grouped}`);
    assert.ok(groups.length < 5000 / 8, `groups: ${groups.length}`);
  });

  it("go a run at a time on an injected clock (the runner reads it for each item), every item once and in order", async () => {
    const p = pipeline<number>("clocked")
      .from(range(5000))
      .map(worker<number, number>(fns, "inc", { maxWorkers: 2 }), { name: "w" });
    const out: number[] = [];
    const { result, calls, groups } = await countingSubmits(() =>
      p.tap((x) => void out.push(x)).run({ clock: systemClock }),
    );
    assert.deepEqual(
      out,
      range(5000).map((x) => x + 1),
    );
    assert.equal(result.stats.w!.out, 5000);
    assert.deepEqual(groups, []);
    const submitted = sum(calls);
    assert.ok(submitted <= 5000 && 5000 - submitted <= 64, `submitted in runs: ${submitted}`);
    assert.ok(calls.length < 5000, `calls: ${calls.length}`);
  });

  it("of a thread stage that moves its items' buffers (the default) are queued in groups, not one by one", async () => {
    let one = 0;
    const execute = PoolExecutor.prototype.execute;
    PoolExecutor.prototype.execute = function (this: PoolExecutor, a, s) {
      one++;
      execute.call(this, a, s);
    };
    try {
      const out: number[] = [];
      const { calls, groups } = await countingSubmits(() =>
        pipeline<number>("moved")
          .from(range(5000))
          .map(worker<number, number>(fns, "inc", { maxWorkers: 2, transferItems: true }), { name: "w" })
          .tap((x) => void out.push(x))
          .run(),
      );
      assert.equal(out.length, 5000);
      const submitted = sum(calls) + sum(groups);
      // only the items that waited for the pool code go one by one
      assert.ok(one <= 5000 - submitted && one <= 64, `one by one: ${one}, in runs: ${submitted}`);
    } finally {
      PoolExecutor.prototype.execute = execute;
    }
  });

  it("go one by one through a rate limit (each item is admitted on its own)", async () => {
    const p = pipeline<number>("limited")
      .from(range(50))
      .map(worker<number, number>(fns, "inc", { maxWorkers: 1 }), {
        name: "w",
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      });
    assert.equal(p.plan().steps[1]!.pool?.submit, "one");
    const out: number[] = [];
    const { calls } = await countingSubmits(() => p.tap((x) => void out.push(x)).run());
    assert.deepEqual(
      out,
      range(50).map((x) => x + 1),
    );
    assert.deepEqual(calls, []);
  });
});

describe("a pool stage's settles", () => {
  for (const ordered of [true, false]) {
    it(`resolve a batch's items together (ordered: ${ordered}): each once, one latency sample each`, async () => {
      const out: number[] = [];
      const result = await pipeline<number>("settles")
        .from(range(5000))
        .map(worker<number, number>(fns, "inc", { maxWorkers: 2 }), { name: "w", ordered })
        .to((x) => void out.push(x))
        .run();
      const expected = range(5000).map((x) => x + 1);
      if (ordered) assert.deepEqual(out, expected);
      else
        assert.deepEqual(
          [...out].sort((a, b) => a - b),
          expected,
        );
      const w = result.stats.w!;
      assert.equal(w.out, 5000);
      assert.equal(w.inFlight, 0);
      assert.equal(w.latency.count, 5000, "one latency sample per item");
      assert.ok(w.latency.max > 0 && w.latency.p50 <= w.latency.max);
    });
  }

  for (const kind of ["map", "filter", "tap", "sink"] as const) {
    it(`of a batch back ahead of an earlier one wait in the reorder ring, then go out in order (${kind})`, async () => {
      // hold a batch back until a batch of later items has settled: not the first batch, which
      // is all the stage has out until the pool code has loaded (holding it would stall the run)
      const completed = PoolExecutor.prototype.completed;
      let held: (() => void) | undefined;
      let heldFrom = -1;
      let overtaken = 0;
      PoolExecutor.prototype.completed = function (this: PoolExecutor, batch, reply) {
        // (read before: a settled batch's arrays are emptied)
        const from = batch instanceof GroupBatch ? batch.groups[0]!.index : batch.attempts[0]!.index;
        if (heldFrom < 0 && batch.size >= 16) {
          heldFrom = from;
          held = () => completed.call(this, batch, reply);
          return;
        }
        completed.call(this, batch, reply);
        if (held !== undefined && from > heldFrom) {
          const release = held;
          held = undefined;
          overtaken++;
          release();
        }
      };
      try {
        const n = 5000;
        const seen: number[] = [];
        const p = pipeline<number>("overtaken").from(range(n));
        const options = { name: "w", concurrency: 2 };
        const result =
          kind === "sink"
            ? await p.to(worker<number, number>(fns, "inc", { maxWorkers: 2 }), options).run()
            : await (
                kind === "map"
                  ? p.map(worker<number, number>(fns, "inc", { maxWorkers: 2 }), options)
                  : kind === "filter"
                    ? p.filter(worker<number, boolean>(fns, "isEven", { maxWorkers: 2 }), options)
                    : p.tap(worker<number, number>(fns, "inc", { maxWorkers: 2 }), options)
              )
                .to((x) => void seen.push(x))
                .run();
        assert.equal(overtaken, 1, "a later batch settled before the held one");
        const expected =
          kind === "map"
            ? range(n).map((x) => x + 1)
            : kind === "filter"
              ? range(n).filter((x) => x % 2 === 0)
              : kind === "tap"
                ? range(n)
                : [];
        assert.deepEqual(seen, expected);
        const w = result.stats.w!;
        assert.equal(w.in, n);
        assert.equal(w.out, kind === "filter" ? n / 2 : n);
        assert.equal(w.inFlight, 0);
        assert.equal(w.latency.count, n, "one latency sample per item");
        assert.equal(result.lowWatermark, n);
      } finally {
        PoolExecutor.prototype.completed = completed;
      }
    });
  }

  it("traced, each item of a batch is an attempt of its own", async () => {
    const { tracer, sizes } = attemptSizes("w");
    const result = await pipeline<number>("traced")
      .from(range(3000))
      .map(worker<number, number>(fns, "inc", { maxWorkers: 2 }), { name: "w" })
      .to(() => {})
      .run({ tracer });
    assert.equal(result.stats.w!.out, 3000);
    assert.equal(sizes.length, 3000);
    assert.ok(
      sizes.every((n) => n === 1),
      "one item per attempt",
    );
  });
});
