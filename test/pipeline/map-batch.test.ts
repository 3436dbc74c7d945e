import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchResultError, InvalidOptionError, pipeline, StageError } from "../../src/index.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function collect<T>(s: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of s) out.push(x);
  return out;
}

describe("mapBatch", () => {
  it("calls the function with arrays of up to size items; each result goes on as its own item, in order", async () => {
    const sizes: number[] = [];
    const out = await collect(
      pipeline<number>("mb")
        .from(range(1000))
        .mapBatch(
          (xs: number[]) => {
            sizes.push(xs.length);
            return xs.map((x) => x * 2);
          },
          { size: 64, name: "double" },
        )
        .stream(),
    );
    assert.deepEqual(
      out,
      range(1000).map((x) => x * 2),
    );
    assert.deepEqual(sizes, [...Array<number>(15).fill(64), 1000 - 15 * 64]);
  });

  it("an async function at concurrency 4 keeps the order of items, and stats count batches at the stage", async () => {
    let running = 0;
    let most = 0;
    const r = pipeline<number>("mb")
      .from(range(2000))
      .mapBatch(
        async (xs: number[]) => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          return xs.map(String);
        },
        { size: 100, concurrency: 4, name: "strings" },
      );
    const out: string[] = [];
    const result = await r
      .to((s) => {
        out.push(s);
      })
      .run();
    assert.deepEqual(out, range(2000).map(String));
    assert.ok(most > 1 && most <= 4, `at most 4 batches at once, saw ${most}`);
    assert.equal(result.stats["strings/batch"]!.out, 20);
    assert.equal(result.stats.strings!.in, 20);
    assert.equal(result.stats.strings!.out, 2000);
    assert.equal(result.lowWatermark, 2000);
  });

  it("a result of the wrong length fails the batch with a BatchResultError (onError applies)", async () => {
    const run = pipeline<number>("mb")
      .from(range(10))
      .mapBatch((xs: number[]) => xs.slice(1), { size: 4, name: "short" })
      .to(() => {})
      .run();
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof StageError);
      assert.equal(e.stage, "short");
      assert.ok(e.cause instanceof BatchResultError);
      assert.equal(e.cause.code, "WEIR_BATCH_RESULT");
      assert.equal(e.cause.expected, 4);
      assert.equal(e.cause.received, 3);
      return true;
    });
    const skipped: number[] = [];
    const r = await pipeline<number>("mb")
      .from(range(10))
      .mapBatch(async (xs: number[]) => (xs.includes(5) ? "nope" : xs) as unknown as number[], {
        size: 4,
        name: "skips",
        onError: "skip",
      })
      .to((x) => {
        skipped.push(x);
      })
      .run();
    assert.deepEqual(skipped, [0, 1, 2, 3, 8, 9]);
    assert.equal(r.stats.skips!.errors, 1);
  });

  it("retry applies to a batch as a whole", async () => {
    const calls: number[][] = [];
    const out = await collect(
      pipeline<number>("mb")
        .from(range(6))
        .mapBatch(
          async (xs: number[]) => {
            calls.push(xs);
            if (calls.filter((c) => c[0] === xs[0]).length === 1) throw new Error("first call fails");
            return xs;
          },
          { size: 3, retry: { attempts: 2, baseMs: 1, jitter: 0 }, name: "again" },
        )
        .stream(),
    );
    assert.deepEqual(out, range(6));
    // concurrency 1: the second batch waits for the first one's retry
    assert.deepEqual(calls, [
      [0, 1, 2],
      [0, 1, 2],
      [3, 4, 5],
      [3, 4, 5],
    ]);
  });

  it("plan() shows the batcher and the stage; options are checked where the pipeline is defined", () => {
    const p = pipeline<number>("mb")
      .from([1])
      .mapBatch(async (xs: number[]) => xs, { size: 8, maxWaitMs: 5, concurrency: 2, name: "w" });
    assert.ok(p.plan().stages.some((s) => s.name === "w/batch"));
    assert.ok(p.plan().stages.some((s) => s.name === "w" && s.kind === "flatMap"));
    assert.throws(
      () =>
        pipeline<number>("mb")
          .from([1])
          .mapBatch((xs: number[]) => xs, {} as { size: number }),
      (e: unknown) => e instanceof InvalidOptionError && /size/.test(e.message),
    );
    assert.throws(
      () =>
        pipeline<number>("mb")
          .from([1])
          .mapBatch(42 as unknown as (xs: number[]) => number[], { size: 2 }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        /option fn: expected a function, or a worker\(\) or child\(\) stage, received 42/.test(e.message),
    );
    // a misspelt option is named among all mapBatch takes, the batch's size first
    assert.throws(
      () =>
        pipeline<number>("mb")
          .from([1])
          .mapBatch((xs: number[]) => xs, { size: 2, sise: 3 } as { size: number }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.option === "sise" &&
        /known options \(size, name, concurrency, /.test(e.message) &&
        /did you mean "size"\?/.test(e.message),
    );
  });
});
