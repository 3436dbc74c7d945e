import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BatchResultError,
  child,
  InvalidOptionError,
  memoryStore,
  pipeline,
  replayDeadLetters,
  StageError,
  TimeoutError,
  worker,
} from "../../src/index.js";
import { fleet } from "../../src/redis.js";
import { collect } from "../helpers.js";

const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const pools = [
  ["worker", worker],
  ["process", child],
] as const;

/**
 * `range(n)` through a mapBatch of `stringWhenFive` in batches of 4 (the batch holding 5 returns a
 * string, not an array, and fails) under `onError`, into `kept`.
 */
function whenFiveFails(
  name: string,
  make: typeof worker | typeof child,
  n: number,
  stage: string,
  onError: "skip" | "dead-letter",
  kept: number[],
) {
  return pipeline<number>(name)
    .from(range(n))
    .mapBatch(make<number[], number[]>(fns, "stringWhenFive", { maxWorkers: 1 }), { size: 4, name: stage, onError })
    .to((x) => {
      kept.push(x);
    });
}

describe("mapBatch with a pool stage", () => {
  for (const [context, make] of pools) {
    it(`${make.name}(): the function gets each batch whole; results come back in order, one item each`, async () => {
      const stage = make<number[], { x: number; size: number }[]>(fns, "doubleEach", { maxWorkers: 2 });
      const p = pipeline<number>("mbp").from(range(1000)).mapBatch(stage, { size: 64, concurrency: 2, name: "double" });
      const plan = p.plan();
      const planned = plan.stages.find((s) => s.name === "double")!;
      assert.equal(planned.context, context);
      assert.equal(planned.kind, "flatMap");
      assert.equal(planned.reason, `runs in a ${context} pool, given each batch whole`);
      assert.ok(plan.stages.some((s) => s.name === "double/batch"));
      // its channel holds whole batches: as many as a function's would, not a pool's 128 items a worker
      assert.equal(plan.steps[planned.step]!.input!.capacity, 64);
      const out: { x: number; size: number }[] = [];
      const r = await p
        .to((o) => {
          out.push(o);
        })
        .run();
      assert.deepEqual(
        out.map((o) => o.x),
        range(1000).map((x) => x * 2),
      );
      // each call saw its whole batch: 15 of 64, then the last 40
      assert.equal(out.filter((o) => o.size === 64).length, 960);
      assert.deepEqual(
        out.slice(960).map((o) => o.size),
        Array<number>(40).fill(40),
      );
      assert.equal(r.stats.double!.in, 16);
      assert.equal(r.stats.double!.out, 1000);
      assert.equal(r.lowWatermark, 1000);
    });
  }

  it("a result of the wrong length fails the batch with a BatchResultError, rebuilt in the parent", async () => {
    const run = pipeline<number>("mbp")
      .from(range(10))
      .mapBatch(worker<number[], number[]>(fns, "shortWhenFive", { maxWorkers: 1 }), { size: 4, name: "short" })
      .to(() => {})
      .run();
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof StageError, String(e));
      assert.equal(e.stage, "short");
      assert.ok(e.cause instanceof BatchResultError, String(e.cause));
      assert.ok(BatchResultError.is(e.cause));
      assert.equal(e.cause.code, "WEIR_BATCH_RESULT");
      assert.equal(e.cause.stage, "short");
      assert.equal(e.cause.expected, 4);
      assert.equal(e.cause.received, 3);
      assert.match(e.cause.message, /must return an array of 4 results .*got an array of 3/);
      return true;
    });
  });

  it("under onError: skip, a failed batch's items are skipped together; the others go on", async () => {
    const kept: number[] = [];
    const errors: unknown[] = [];
    const run = whenFiveFails("mbp", child, 10, "skips", "skip", kept).run();
    run.on("stage:error", (e) => void errors.push(e.error));
    const r = await run;
    assert.deepEqual(kept, [0, 1, 2, 3, 8, 9]);
    assert.equal(r.stats.skips!.errors, 1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof BatchResultError);
    assert.equal((errors[0] as BatchResultError).received, '"nope"');
  });

  it("a dead-lettered batch is one letter holding the batch; its replay gives it whole to the worker again", async () => {
    await using store = memoryStore();
    const out: number[] = [];
    const p = whenFiveFails("mbp-dlq", worker, 8, "s", "dead-letter", out);
    const r = await p.run({ store });
    assert.deepEqual(out, [0, 1, 2, 3]);
    assert.equal(r.stats.s!.deadLettered, 1);
    const letters = (await store.deadLetters.list({ runName: "mbp-dlq" })).records;
    assert.deepEqual(
      letters.map((l) => [l.stage, l.index, l.item]),
      [["s", 4, [4, 5, 6, 7]]],
    );
    out.length = 0;
    // replayed through the stage itself (not its batcher), as a mapBatch: unchanged, the batch fails
    // its length check again (a plain flatMap would have spread the string "nope" into letters)
    const again = await replayDeadLetters(p, { store });
    assert.deepEqual([again.replayed, again.failedAgain], [1, 1]);
    assert.deepEqual(out, []);
    // edited, the worker gets the batch as it was stored, whole
    const report = await replayDeadLetters(p, {
      store,
      edit: (item) => (item as number[]).map((x) => (x === 5 ? 50 : x)),
    });
    assert.deepEqual([report.replayed, report.succeeded], [1, 1]);
    assert.deepEqual(out, [4, 50, 6, 7]);
  });

  it("retry applies to a batch as a whole: its function runs again in the worker with the same batch", async () => {
    const r = await pipeline<number>("mbp")
      .from(range(100))
      .mapBatch(worker<number[], number[]>(fns, "failFirstBatch", { maxWorkers: 1 }), {
        size: 25,
        name: "again",
        retry: { attempts: 2, baseMs: 1, jitter: 0 },
      })
      .to(() => {})
      .run();
    assert.equal(r.stats.again!.in, 4);
    // each batch failed once (its first attempt) and went again
    assert.equal(r.stats.again!.errors, 4);
    assert.equal(r.stats.again!.retries, 4);
    assert.equal(r.stats.again!.out, 100);
  });

  it("timeoutMs applies to a batch: one whose function never returns times out, its worker is replaced, the rest go on", async () => {
    const kept: number[] = [];
    const errors: unknown[] = [];
    const run = pipeline<number>("mbp")
      .from(range(12))
      .mapBatch(worker<number[], number[]>(fns, "spinOnFive", { maxWorkers: 1 }), {
        size: 4,
        name: "stuck",
        timeoutMs: 200,
        onError: "skip",
      })
      .to((x) => {
        kept.push(x);
      })
      .run();
    run.on("stage:error", (e) => void errors.push(e.error));
    const r = await run;
    assert.deepEqual(kept, [0, 10, 20, 30, 80, 90, 100, 110]);
    assert.equal(r.stats.stuck!.errors, 1);
    assert.equal(errors.length, 1);
    assert.ok(TimeoutError.is(errors[0]));
  });

  it("an async batch function, with a pool stage of the same module colocated after it", async () => {
    const opts = { maxWorkers: 2 };
    const p = pipeline<number>("mbp")
      .from(range(500))
      .mapBatch(worker<number[], number[]>(fns, "doubleEachLater", opts), { size: 50, concurrency: 2, name: "twice" })
      .map(worker<number, number>(fns, "inc", opts), { concurrency: 2, name: "inc" });
    assert.deepEqual(
      p.plan().steps.map((s) => [s.head, ...s.fused]),
      [["source"], ["twice/batch"], ["twice", "inc"]],
    );
    assert.deepEqual(
      await collect(p.stream()),
      range(500).map((x) => x * 2 + 1),
    );
  });

  it("a self-contained function given to worker() takes the batches too", async () => {
    const out = await collect(
      pipeline<number>("mbp")
        .from(range(300))
        .mapBatch(
          worker((xs: number[]) => xs.map((x) => `${x}/${xs.length}`), { maxWorkers: 1 }),
          { size: 128, name: "tag" },
        )
        .stream(),
    );
    assert.deepEqual(
      out,
      range(300).map((x) => `${x}/${x < 256 ? 128 : 44}`),
    );
  });

  it("a fleet() stage is refused where the pipeline is defined", () => {
    const remote = fleet<number[], number[]>(fns, "doubleEach", { redis: "redis://127.0.0.1:1" });
    assert.throws(
      () => pipeline<number>("mbp").from([1]).mapBatch(remote, { size: 2, name: "far" }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.option === "fn" &&
        /stage "far": option fn: expected a function, or a worker\(\) or child\(\) stage, received a fleet\(\) stage/.test(
          e.message,
        ),
    );
  });
});
