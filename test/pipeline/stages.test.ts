import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, InvalidOptionError, type StageContext } from "../../src/index.js";
import { collect } from "../helpers.js";

/** Every stage behaviour runs twice: fused inline, and as an async step (context: "async"). */
for (const context of ["inline", "async"] as const) {
  describe(`stages (${context})`, () => {
    const o = { context };

    it("map transforms and passes ctx with stage name, attempt and source index", async () => {
      const seen: Array<[string, number, number]> = [];
      const out = await collect(
        pipeline("p")
          .from(["a", "b", "c"])
          .map(
            (x: string, ctx: StageContext) => {
              seen.push([ctx.stage, ctx.attempt, ctx.index]);
              return x.toUpperCase();
            },
            { ...o, name: "upper" },
          )
          .stream(),
      );
      assert.deepEqual(out, ["A", "B", "C"]);
      assert.deepEqual(
        seen.map((s) => s[0]),
        ["upper", "upper", "upper"],
      );
      assert.ok(seen.every((s) => s[1] === 1));
      assert.deepEqual(
        seen.map((s) => s[2]),
        [0, 1, 2],
        "the source index, fused or not",
      );
    });

    it("filter keeps truthy items", async () => {
      assert.deepEqual(
        await collect(
          pipeline("p")
            .from([1, 2, 3, 4, 5])
            .filter((x) => x % 2 === 1, o)
            .stream(),
        ),
        [1, 3, 5],
      );
    });

    it("flatMap expands iterables, including empty ones", async () => {
      const out = await collect(
        pipeline("p")
          .from([0, 1, 2, 3])
          .flatMap((n) => Array.from({ length: n }, () => n), o)
          .stream(),
      );
      assert.deepEqual(out, [1, 2, 2, 3, 3, 3]);
    });

    it("flatMap accepts generators", async () => {
      function* twice(x: number): Generator<number> {
        yield x;
        yield x;
      }
      assert.deepEqual(await collect(pipeline("p").from([1, 2]).flatMap(twice, o).stream()), [1, 1, 2, 2]);
    });

    it("tap sees each item and passes it unchanged", async () => {
      const seen: number[] = [];
      const out = await collect(
        pipeline("p")
          .from([1, 2])
          .tap((x) => void seen.push(x * 100), o)
          .stream(),
      );
      assert.deepEqual(out, [1, 2]);
      assert.deepEqual(seen, [100, 200]);
    });

    it("to() consumes every item and the run resolves with stats", async () => {
      const got: number[] = [];
      const result = await pipeline("p")
        .from([1, 2, 3])
        .map((x) => x + 1, o)
        .to((x) => void got.push(x), { ...o, name: "sink" })
        .run();
      assert.deepEqual(got, [2, 3, 4]);
      assert.equal(result.stats.sink!.in, 3);
      assert.equal(result.stats.sink!.out, 3);
      assert.equal(result.sourceItems, 3);
    });

    it("a chain of map, filter, flatMap, tap keeps counts per stage", async () => {
      const result = await pipeline("p")
        .from([1, 2, 3, 4])
        .map((x) => x * 2, { ...o, name: "double" })
        .filter((x) => x > 2, { ...o, name: "big" })
        .flatMap((x) => [x, -x], { ...o, name: "signs" })
        .tap(() => {}, { ...o, name: "look" })
        .run();
      const s = result.stats;
      assert.deepEqual([s.double!.in, s.double!.out], [4, 4]);
      assert.deepEqual([s.big!.in, s.big!.out], [4, 3]);
      assert.deepEqual([s.signs!.in, s.signs!.out], [3, 6]);
      assert.deepEqual([s.look!.in, s.look!.out], [6, 6]);
      assert.equal(s.double!.context, context);
    });
  });
}

describe("stages: mixed sync and async", () => {
  it("a non-async function that returns a promise still works when fused", async () => {
    const out = await collect(
      pipeline("p")
        .from([1, 2, 3])
        .map((x) => (x === 2 ? Promise.resolve(x * 10) : x))
        .filter((x) => (x === 3 ? Promise.resolve(false) : true))
        .flatMap((x) => (x === 20 ? Promise.resolve([x, x]) : [x]))
        .stream(),
    );
    assert.deepEqual(out, [1, 20, 20]);
  });

  it("an async function inside a fused flatMap's expansion resumes the rest of the expansion", async () => {
    const out = await collect(
      pipeline("p")
        .from([1, 2])
        .flatMap((x) => [x, x + 10, x + 20])
        .map((y) => (y === 11 ? Promise.resolve(-11) : y))
        .stream(),
    );
    assert.deepEqual(out, [1, -11, 21, 2, 12, 22]);
  });

  it("async flatMap accepts an async iterable", async () => {
    async function* gen(x: number): AsyncGenerator<number> {
      yield x;
      await new Promise((r) => setImmediate(r));
      yield x * 10;
    }
    assert.deepEqual(
      await collect(pipeline("p").from([1, 2]).flatMap(gen, { concurrency: 2 }).stream()),
      [1, 10, 2, 20],
    );
  });
});

describe("stage options are validated when the pipeline is defined", () => {
  const p = () => pipeline("p").from([1]);
  const cases: Array<[string, () => unknown, string]> = [
    ["concurrency 0", () => p().map((x) => x, { concurrency: 0 }), "concurrency"],
    ["concurrency 1.5", () => p().map((x) => x, { concurrency: 1.5 }), "concurrency"],
    ["ordered 'yes'", () => p().map((x) => x, { ordered: "yes" as never }), "ordered"],
    ["capacity -1", () => p().map((x) => x, { capacity: -1 }), "capacity"],
    ["retry.attempts 0", () => p().map((x) => x, { retry: { attempts: 0 } }), "retry.attempts"],
    ["retry.jitter 2", () => p().map((x) => x, { retry: { jitter: 2 } }), "retry.jitter"],
    ["retry.maxMs < baseMs", () => p().map((x) => x, { retry: { baseMs: 100, maxMs: 10 } }), "retry.maxMs"],
    ["timeoutMs 0", () => p().map((x) => x, { timeoutMs: 0 }), "timeoutMs"],
    ["onError 'ignore'", () => p().map((x) => x, { onError: "ignore" as never }), "onError"],
    ["priority 3", () => p().map((x) => x, { priority: 3 as never }), "priority"],
    ["unknown key", () => p().map((x) => x, { concurency: 2 } as never), "concurency"],
    ["fn not a function", () => p().map(42 as never), "fn"],
    ["batch size 0", () => p().batch({ size: 0 }), "size"],
    ["batch maxWaitMs -5", () => p().batch({ size: 2, maxWaitMs: -5 }), "maxWaitMs"],
    ["context inline with concurrency", () => p().map((x) => x, { context: "inline", concurrency: 4 }), "context"],
    ["context inline with an async function", () => p().map(async (x) => x, { context: "inline" }), "context"],
  ];
  for (const [label, build, option] of cases) {
    it(`rejects ${label}, naming the option and the stage`, () => {
      assert.throws(build, (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError, String(e));
        assert.equal(e.code, "WEIR_INVALID_OPTION");
        assert.equal(e.option, option);
        assert.match(e.message, /stage "/);
        assert.match(e.message, /expected .*received/);
        return true;
      });
    });
  }
});
