// How many items a pool stage runs inside its function at once, and how many it pulls ahead of its
// workers: `concurrency` is the workers a stage uses, `concurrencyPerWorker` the items each runs
// inside the function at once (batches still carry many items per message), and the channel in
// front of a pool stage is sized per worker, not to its largest window.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, formatPlan, pipeline, worker } from "../../src/index.js";

const inWorker = new URL("../fixtures/faults/inWorker.mjs", import.meta.url);

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
      assert.equal(step.input?.capacity, 2 * 128);
      assert.match(formatPlan(p.plan()), /concurrency 2: 2 workers × 2 items at once, window ≤ 4096/);
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
    assert.equal(step.input?.capacity, 128);
    // the source reads into room below: the pool stage's channel and its window (two batches of 16
    // while the batch size is learnt, then of 1: these items take 5 ms); the sink is fused
    assert.equal(plan.steps.length, 2);
    const bound = step.input!.capacity + 2 * 16;
    assert.ok(ahead <= bound, `pulled ${ahead} ahead of the sink, bound ${bound}`);
  });
});
