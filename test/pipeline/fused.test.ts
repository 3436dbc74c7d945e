import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, StageError, type StageContext } from "../../src/index.js";
import { collect } from "../helpers.js";

function* letters(): Generator<string> {
  yield* ["a", "b", "c", "d", "e"];
}

/** 0..n-1 from an array (read in place by the fused loop) and from a generator (pulled by it). */
const numberSources = [
  ["an array read in place", (n: number): number[] => Array.from({ length: n }, (_, i) => i)],
  [
    "a generator",
    function* (n: number): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    },
  ],
] as const;

describe("fused inline stages", () => {
  for (const [label, source] of [
    ["an array read in place", ["a", "b", "c", "d", "e"]],
    ["a generator", letters],
  ] as const) {
    it(`ctx.index is the item's source index in every fused stage (${label})`, async () => {
      const seen: string[] = [];
      const record =
        (where: string) =>
        (x: string, ctx: StageContext): void =>
          void seen.push(`${where} ${x}@${ctx.index}`);
      const p = pipeline("p")
        .from(source)
        .filter((x, ctx) => (record("filter")(x, ctx), x !== "b"))
        .map((x, ctx) => (record("map")(x, ctx), x.toUpperCase()))
        .flatMap((x, ctx) => (record("flatMap")(x, ctx), [x, x.toLowerCase()]))
        .tap((x, ctx) => record("tap")(x, ctx));
      assert.ok(p.plan().stages.filter((s) => s.fused).length >= 4, "the stages are fused");
      const out = await collect(p.stream());
      assert.deepEqual(out, ["A", "a", "C", "c", "D", "d", "E", "e"]);
      assert.deepEqual(
        seen.filter((s) => s.startsWith("filter")),
        ["filter a@0", "filter b@1", "filter c@2", "filter d@3", "filter e@4"],
      );
      assert.deepEqual(
        seen.filter((s) => s.startsWith("map")),
        ["map a@0", "map c@2", "map d@3", "map e@4"],
        "a filtered item leaves a gap",
      );
      assert.deepEqual(
        seen.filter((s) => s.startsWith("tap")),
        ["tap A@0", "tap a@0", "tap C@2", "tap c@2", "tap D@3", "tap d@3", "tap E@4", "tap e@4"],
        "expanded items keep their parent's index",
      );
    });
  }

  it("ctx.index is the source index across many chunks of a generator (numbered from each chunk's first)", async () => {
    function* numbers(): Generator<number> {
      for (let i = 0; i < 5_000; i++) yield i;
    }
    let wrong = 0;
    let seen = 0;
    await pipeline<number>("p")
      .from(numbers())
      .map((x, ctx) => (ctx.index === x ? x : (wrong++, x)))
      .to((x, ctx) => {
        seen++;
        if (ctx.index !== x) wrong++;
      })
      .run();
    assert.deepEqual([seen, wrong], [5_000, 0]);
  });

  it("ctx.index stays right on the slow path (a fused function returned a promise) and in the sink", async () => {
    const seen: Array<[number, number]> = [];
    await pipeline("p")
      .from([10, 11, 12, 13])
      .map((x, ctx) =>
        x === 11 ? Promise.resolve(ctx.index).then((i) => (seen.push([x, i]), x)) : (seen.push([x, ctx.index]), x),
      )
      .to((x, ctx) => void seen.push([-x, ctx.index]))
      .run();
    assert.deepEqual(seen, [
      [10, 0],
      [-10, 0],
      [11, 1],
      [-11, 1],
      [12, 2],
      [-12, 2],
      [13, 3],
      [-13, 3],
    ]);
  });

  for (const [label, source] of numberSources) {
    it(`a sink that returns a promise for every item: each settles in order, rejections go by onError (${label})`, async () => {
      const seen: Array<[number, number]> = [];
      const r = await pipeline<number>("p")
        .from(source(3_000))
        .map((x) => x * 2)
        .to(
          (x, ctx) => {
            seen.push([x, ctx.index]);
            // settles on a later turn now and then, else in a microtask; every 700th rejects
            if (x % 1_400 === 0) return Promise.reject(new Error(`bad ${x}`));
            return x % 512 === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve();
          },
          { onError: "skip" },
        )
        .run();
      assert.equal(seen.length, 3_000);
      assert.ok(
        seen.every(([x, index], i) => x === 2 * i && index === i),
        "in source order, each with its source index",
      );
      assert.deepEqual([r.stats["sink-1"]!.in, r.stats["sink-1"]!.out, r.stats["sink-1"]!.skipped], [3_000, 2_995, 5]);
      await assert.rejects(
        pipeline<number>("p")
          .from(source(3_000))
          .to((x) => (x === 2_100 ? Promise.reject(new Error("bad item")) : Promise.resolve()), { name: "s" })
          .run(),
        (e: unknown) => e instanceof StageError && e.stage === "s" && e.index === 2_100,
      );
    });
  }

  for (const [label, source] of numberSources) {
    it(`a map that returns a promise for every item, then synchronous stages: values, order, failures by stage (${label})`, async () => {
      const out: Array<[number, number]> = [];
      const r = await pipeline<number>("p")
        .from(source(2_000))
        .map((x) => (x % 500 === 7 ? Promise.reject(new Error(`no ${x}`)) : Promise.resolve(x * 3)), {
          name: "m",
          onError: "skip",
        })
        .filter((x) => x % 2 === 0, { name: "even" })
        .map(
          (x) => {
            if (x === 600) throw new Error("six hundred");
            return x + 1;
          },
          { name: "plus", onError: "skip" },
        )
        .to((x, ctx) => void out.push([x, ctx.index]), { name: "s" })
        .run();
      // x*3 is even when x is: the 1,000 even x (those rejected, x % 500 === 7, are odd), less
      // x = 200 (600 throws in "plus")
      const expected = Array.from({ length: 2_000 }, (_, x) => x)
        .filter((x) => x % 500 !== 7 && x % 2 === 0 && x !== 200)
        .map((x) => [x * 3 + 1, x]);
      assert.deepEqual(out, expected);
      assert.deepEqual(
        [r.stats.m!.in, r.stats.m!.out, r.stats.m!.skipped, r.stats.even!.out, r.stats.plus!.skipped, r.stats.s!.in],
        [2_000, 1_996, 4, 1_000, 1, 999],
      );
    });
  }

  for (const [label, source] of numberSources) {
    it(`an item a fused stage waited on through a turn of the event loop goes on once done, not after its chunk (${label})`, async () => {
      let calls = 0;
      const seenAt: number[] = [];
      const out: number[] = [];
      const r = await pipeline<number>("p")
        .from(source(300))
        .map((x) => {
          calls++;
          // waits a turn of the event loop, as an I/O call would
          return new Promise<number>((resolve) => setImmediate(() => resolve(x + 1)));
        })
        // a step of its own below (an async function): it sees each item when the fused step hands it on
        .to(async (x) => {
          seenAt.push(calls);
          out.push(x);
        })
        .run();
      assert.deepEqual(
        out,
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      // the map was called at most a couple of times more before item 0 reached the sink: handed on
      // at the end of its chunk (as arrays were), it found 64 calls (the chunk: the room below)
      assert.ok(seenAt[0]! <= 3, `the sink saw the first item after ${seenAt[0]} calls of the map`);
      assert.ok(
        seenAt.every((c, i) => c <= i + 3),
        "every item reached the sink within a few calls of its own",
      );
      assert.deepEqual([r.stats["map-1"]!.in, r.stats["map-1"]!.out, r.stats["sink-1"]!.in], [300, 300, 300]);
    });

    it(`items whose promises settle in microtasks go on together, as synchronous ones do (${label})`, async () => {
      let calls = 0;
      const seenAt: number[] = [];
      await pipeline<number>("p")
        .from(source(300))
        .map((x) => {
          calls++;
          return Promise.resolve(x + 1); // nothing else runs meanwhile: no reason to hand it on alone
        })
        .to(async () => void seenAt.push(calls))
        .run();
      assert.equal(seenAt.length, 300);
      // the first went on with a chunk of them (as many as the room below: 64 here), not alone
      assert.ok(seenAt[0]! >= 32, `the sink saw the first item after ${seenAt[0]} calls of the map`);
    });
  }

  it("ctx.index reaches functions that take ctx in any form (default value, rest, arguments)", async () => {
    const fallback = { index: -99 } as StageContext;
    const out = await collect(
      pipeline("p")
        .from(["a", "b"])
        .map((x: string, ctx: StageContext = fallback) => `${x}${ctx.index}`)
        .map((...args: [string, StageContext]) => `${args[0]}${args[1].index}`)
        .map(function (this: unknown, x: string) {
          // eslint-disable-next-line prefer-rest-params
          return `${x}${(arguments[1] as StageContext).index}`;
        })
        .stream(),
    );
    assert.deepEqual(out, ["a000", "b111"]);
  });

  it("a fused stage after an async step sees the source index too", async () => {
    const seen: number[] = [];
    await pipeline("p")
      .from(["x", "y", "z"])
      .map(async (x) => x, { concurrency: 2 })
      .to((_x, ctx) => void seen.push(ctx.index))
      .run();
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it("a failing fused item names its source index", async () => {
    await assert.rejects(
      pipeline("p")
        .from([1, 2, 3])
        .filter((x) => x !== 1)
        .map(
          (x) => {
            if (x === 3) throw new Error("three");
            return x;
          },
          { name: "m" },
        )
        .run(),
      (e: unknown) => e instanceof StageError && e.stage === "m" && e.index === 2,
    );
  });

  it("flatMap with a plain function returning an AsyncIterable is iterated when fused", async () => {
    async function* twice(x: number): AsyncGenerator<number> {
      yield x;
      await new Promise((r) => setImmediate(r));
      yield x * 10;
    }
    const indexes: number[] = [];
    const p = pipeline("p")
      .from([1, 2, 3])
      .flatMap((x: number) => (x === 2 ? [x] : twice(x)), { name: "expand" })
      .tap((_x, ctx) => void indexes.push(ctx.index));
    assert.equal(p.plan().stages.find((s) => s.name === "expand")!.fused, true);
    assert.deepEqual(await collect(p.stream()), [1, 10, 2, 3, 30]);
    assert.deepEqual(indexes, [0, 0, 1, 2, 2]);
    const r = await p.run();
    assert.deepEqual([r.stats.expand!.in, r.stats.expand!.out], [3, 5]);
  });

  it("an AsyncIterable that fails mid-way fails the item under onError", async () => {
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new Error("mid-way");
    }
    const r = await pipeline("p")
      .from([0, 1])
      .flatMap((x: number) => (x === 0 ? broken() : [x]), { name: "fm", onError: "dead-letter" })
      .run();
    assert.deepEqual(
      r.deadLetters.map((d) => [d.stage, d.index, (d.error as Error).message]),
      [["fm", 0, "mid-way"]],
    );
  });

  for (const [label, source] of [
    ["an array", () => Array.from({ length: 1024 }, (_, i) => i)],
    [
      "a generator",
      function* (): Generator<number> {
        for (let i = 0; i < 1024; i++) yield i;
      },
    ],
  ] as const) {
    it(`runs a chunk of 1,024 items with no promise per item (${label})`, async () => {
      let called = 0;
      let seenByMicrotask = -1;
      const r = await pipeline("p")
        .from(source)
        .map((x: number) => {
          if (called++ === 0) queueMicrotask(() => (seenByMicrotask = called));
          return x + 1;
        })
        .filter((x) => x > 0)
        .to(() => {})
        .run();
      assert.equal(seenByMicrotask, 1024, "every item ran before a microtask queued at the first");
      assert.equal(r.stats["map-1"]!.out, 1024);
    });
  }
});
