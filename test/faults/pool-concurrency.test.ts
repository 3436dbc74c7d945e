// How many items a pool stage runs inside its function at once, and how many it pulls ahead of its
// workers: `concurrency` is the workers a stage uses, `concurrencyPerWorker` the items each runs
// inside the function at once (batches still carry many items per message), and the channel in
// front of a pool stage is sized per worker, not to its largest window.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, formatPlan, pipeline, worker, type MetricsSource, type PipelineReading } from "../../src/index.js";

const inWorker = new URL("../fixtures/faults/inWorker.mjs", import.meta.url);
const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url);

interface Overlap {
  readonly x: number;
  readonly most: number;
  readonly atEntry: number;
  readonly worker: string;
}

for (const [label, make] of [
  ["thread", worker],
  ["process", child],
] as const) {
  describe(`${label} pool: items inside the function at once`, () => {
    it("concurrency: 1, maxWorkers: 1: one async item at a time inside the worker, however many a batch carries", async () => {
      const out: Overlap[] = [];
      await pipeline<number>("one-at-a-time")
        .from(Array.from({ length: 64 }, (_, i) => i))
        .map(make<number, Overlap>(inWorker, "overlap", { maxWorkers: 1 }), { concurrency: 1 })
        .to((o) => void out.push(o))
        .run();
      assert.equal(out.length, 64);
      assert.equal(new Set(out.map((o) => o.worker)).size, 1, "one worker ran them all");
      assert.equal(Math.max(...out.map((o) => o.most)), 1, "never two items inside the function at once");
      assert.deepEqual(
        out.map((o) => o.x),
        Array.from({ length: 64 }, (_, i) => i),
      );
    });

    it("concurrencyPerWorker: 4 lets four async items of a worker run at once, never more", async () => {
      const out: Overlap[] = [];
      await pipeline<number>("four-at-a-time")
        .from(Array.from({ length: 64 }, (_, i) => i))
        .map(make<number, Overlap>(inWorker, "overlap", { maxWorkers: 1, concurrencyPerWorker: 4 }), {
          concurrency: 1,
        })
        .to((o) => void out.push(o))
        .run();
      assert.equal(out.length, 64);
      assert.equal(Math.max(...out.map((o) => o.most)), 4);
    });

    it("once the batch size is learnt for slow async items, a worker still gets enough of them to fill concurrencyPerWorker", async () => {
      const out: Overlap[] = [];
      await pipeline<[number, number]>("slow-async")
        .from(Array.from({ length: 160 }, (_, i): [number, number] => [i, 50]))
        .map(make<[number, number], Overlap>(inWorker, "overlap", { maxWorkers: 1, concurrencyPerWorker: 8 }), {
          concurrency: 1,
        })
        .to((o) => void out.push(o))
        .run();
      assert.equal(out.length, 160);
      // items of 50 ms measure about 6 ms each at 8 at once: batches of one by time alone
      assert.equal(Math.max(...out.slice(-80).map((o) => o.atEntry)), 8);
    });

    it("plan() states the workers, the items each runs at once and the window", () => {
      const p = pipeline<number>("planned")
        .from([1])
        .map(make<number, Overlap>(inWorker, "overlap", { maxWorkers: 3, concurrencyPerWorker: 2 }), {
          name: "o",
          concurrency: 2,
        });
      const step = p.plan().steps[1]!;
      assert.deepEqual(step.pool, {
        context: make === worker ? "worker" : "process",
        workers: 2,
        perWorker: 2,
        running: 4,
        window: 2 * 2 * 1024,
        settle: "batch",
        submit: "group",
        perItem: [],
      });
      // the channel: 128 items a worker, growing to a batch a worker (of up to 1,024) for tiny items
      assert.equal(step.input?.baseCapacity, 2 * 128);
      assert.equal(step.input?.capacity, 2 * 1024);
      assert.match(
        formatPlan(p.plan()),
        /concurrency 2: 2 workers × 2 items at once, window ≤ 4096\] <- channel\(256–2048, fifo\)/,
      );
    });
  });
}

describe("pull-ahead of a pool stage", () => {
  it("a stage of slow items pulls at most its channel and a few batches ahead of its one worker", async () => {
    let read = 0;
    let done = 0;
    let ahead = 0;
    const ac = new AbortController();
    function* source(): Generator<number> {
      for (let i = 0; i < 100_000; i++) {
        read++;
        yield i;
      }
    }
    const run = pipeline<number>("slow-pool")
      .from(source())
      .map(worker<number, number>(inWorker, "busy", { maxWorkers: 1 }), { name: "busy" })
      .to(() => {
        done++;
        ahead = Math.max(ahead, read - done);
        if (done === 40) ac.abort(new Error("seen enough"));
      })
      .run({ signal: ac.signal });
    await run.then(
      () => assert.fail("the run was aborted"),
      () => {},
    );
    const plan = pipeline<number>("slow-pool")
      .from([1])
      .map(worker<number, number>(inWorker, "busy", { maxWorkers: 1 }), { name: "busy" })
      .to(() => {})
      .plan();
    const step = plan.steps[1]!;
    // the channel grows past its base only for batches larger than 128 items: not for these
    assert.equal(step.input?.baseCapacity, 128);
    // the source reads into room below: the pool stage's channel and its window (two batches of 16
    // while the batch size is learnt, then of 1: these items take 5 ms); the sink is fused
    assert.equal(plan.steps.length, 2);
    const bound = step.input!.baseCapacity + 2 * 16;
    assert.ok(ahead <= bound, `pulled ${ahead} ahead of the sink, bound ${bound}`);
  });
});

describe("the channel in front of a pool stage", () => {
  /**
   * The capacities of the stage's input channel that the run's metrics read as each item came
   * out, in order (the pool's options: `targetBatchMs: 100` unless `pool` says otherwise).
   */
  async function readings<T>(
    make: typeof worker,
    module: URL,
    fn: string,
    items: T[],
    maxWorkers: number,
    pool: { targetBatchMs?: number; maxBatchSize?: number } = {},
  ): Promise<number[]> {
    let source: MetricsSource | undefined;
    const read: number[] = [];
    const stage = make<T, unknown>(module, fn, { maxWorkers, targetBatchMs: 100, ...pool });
    const result = await pipeline<T>("elastic")
      .from(items)
      .map(stage, { name: "w", concurrency: maxWorkers })
      .to(() => void read.push((source!.read() as PipelineReading).stages[1]!.queueCapacity))
      .run({ metrics: { attach: (s) => ((source = s), () => {}) } });
    assert.equal(result.stats.w!.out, items.length);
    return read;
  }
  /** The distinct capacities {@link readings} read. */
  const capacities = async <T>(...args: Parameters<typeof readings<T>>): Promise<Set<number>> =>
    new Set(await readings(...args));
  const numbers = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it("grows from 128 items a worker to a batch a worker (1,024) once its batches are larger: tiny items", async () => {
    const seen = await capacities(worker, fns, "inc", numbers(50_000), 2);
    assert.ok(seen.has(2 * 1024), `capacities read: ${[...seen].join(", ")}`);
    assert.ok(Math.max(...seen) <= 2 * 1024 && Math.min(...seen) >= 2 * 128, [...seen].join(", "));
  });

  it("stays at 128 items a worker for items that go in batches of fewer (5 ms items: batches of 20)", async () => {
    const seen = await capacities(worker, inWorker, "busy", numbers(60), 1);
    assert.deepEqual([...seen], [128]);
  });

  it("shrinks back to its base when the items turn slow (tiny items, then 0.25 ms ones in batches of 4)", async () => {
    // batches of at most 256: grown, the channel holds 2 × 256; the slow items outnumber what
    // the stage holds when they begin (its window, 1,024, and its channel), so the last of them
    // are read after the batch size has learnt what they cost
    const items = [...Array<number>(20_000).fill(0), ...Array<number>(2_000).fill(0.25)];
    const read = await readings(worker, fns, "busy", items, 2, { targetBatchMs: 1, maxBatchSize: 256 });
    assert.ok(read.includes(2 * 256), `grown for the tiny items: ${[...new Set(read)].join(", ")}`);
    assert.equal(read.at(-1), 2 * 128, "back at its base for the slow ones");
  });

  it("a child's grows only to the batch its frames' byte budget holds: cheap 20 KiB strings, about 200 a batch", async () => {
    const text = "x".repeat(20 * 1024);
    const seen = await capacities(
      child,
      fns,
      "same",
      Array.from({ length: 2_000 }, () => text),
      2,
    );
    const most = Math.max(...seen);
    // 4 MiB a frame holds about 204 of them: grown past 2 × 128, never to 2 × 1,024
    assert.ok(most > 2 * 128 && most <= 2 * 256, `capacities read: ${[...seen].join(", ")}`);
  });
});
