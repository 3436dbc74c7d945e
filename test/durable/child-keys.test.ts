/**
 * A flatMap's children have keys of their own in a keyed run: the parent's key and their position
 * (`<runId>/<index>/<position>`, nested flatMaps extend it), seen by every stage kind below the
 * flatMap (fused, async, worker-thread and child-process pools, a batch's first item), the same on
 * a second run of the same items, and carried by a child's dead letter into its replay.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { child, pipeline, replayDeadLetters, worker, memoryStore } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-child-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const stages = new URL("../fixtures/durable/stages.mjs", import.meta.url);

type Seen = Map<string, Array<[string, number]>>;

/** Records `[key, index]` under `stage`. */
function note(seen: Seen, stage: string, key: string | undefined, index: number): void {
  let list = seen.get(stage);
  if (list === undefined) seen.set(stage, (list = []));
  list.push([key ?? "(none)", index]);
}

/** `<run>/<i>/<j>` for every item i and child j < 1 + i % 3 (the children of `children(i)`). */
function expectedKeys(run: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < 1 + (i % 3); j++) keys.push(`${run}/${i}/${j}`);
  return keys.sort();
}

const children = (i: number): number[] => Array.from({ length: 1 + (i % 3) }, (_, j) => i * 10 + j);
function* lazyChildren(i: number): Generator<number> {
  yield* children(i);
}
async function* asyncChildren(i: number): AsyncGenerator<number> {
  for (const c of children(i)) {
    await Promise.resolve();
    yield c;
  }
}

/** Asserts every stage saw each expected key once, with its source index. */
function assertKeys(seen: Seen, stagesSeen: readonly string[], run: string, n: number): void {
  for (const stage of stagesSeen) {
    const list = seen.get(stage) ?? [];
    assert.deepEqual(
      list.map(([k]) => k).sort(),
      expectedKeys(run, n),
      `${stage}: ${JSON.stringify(list.slice(0, 8))}`,
    );
    for (const [key, index] of list) assert.equal(index, Number(key.split("/")[1]), `${stage} ${key}`);
  }
}

describe("flatMap children's keys", () => {
  const N = 40;

  for (const [name, flat] of [
    ["an array (fused)", (i: number) => children(i)],
    ["a generator (fused)", (i: number) => lazyChildren(i)],
    ["an async generator (fused, slow path)", (i: number) => asyncChildren(i)],
  ] as const) {
    it(`from ${name}: distinct keys in fused, async, worker-thread and child-process stages`, async () => {
      const store = memoryStore();
      const seen: Seen = new Map();
      const p = pipeline<number>("kids")
        .from(Array.from({ length: N }, (_, i) => i))
        .flatMap(flat as (i: number) => Iterable<number>, { name: "split" })
        .map((x: number, ctx) => (note(seen, "fused", ctx.key, ctx.index), x), { name: "fused" })
        .map(async (x: number, ctx) => (note(seen, "async", ctx.key, ctx.index), await Promise.resolve(x)), {
          name: "async",
          concurrency: 4,
          ordered: false,
        })
        .map(worker<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
          name: "thread",
        })
        .map((r) => (note(seen, "thread", r.key, r.index), r.x), { name: "unwrap" })
        .map(child<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
          name: "process",
        })
        .to((r, ctx) => {
          note(seen, "process", r.key, r.index);
          note(seen, "sink", ctx.key, ctx.index);
        });
      await p.run({ store, runId: "r1" });
      assertKeys(seen, ["fused", "async", "thread", "process", "sink"], "r1", N);
    });
  }

  it("from an async stage (an array, and a lazy iterable): its children have their own keys below", async () => {
    for (const lazy of [false, true]) {
      const store = memoryStore();
      const seen: Seen = new Map();
      const p = pipeline<number>("kids")
        .from(Array.from({ length: N }, (_, i) => i))
        .flatMap(async (i: number) => (lazy ? lazyChildren(i) : children(i)), {
          name: "split",
          concurrency: 3,
          ordered: !lazy,
        })
        .map((x: number, ctx) => (note(seen, "fused", ctx.key, ctx.index), x), { name: "fused" })
        .map(worker<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
          name: "thread",
        })
        .to((r, ctx) => {
          note(seen, "thread", r.key, r.index);
          note(seen, "sink", ctx.key, ctx.index);
        });
      await p.run({ store, runId: "r2" });
      assertKeys(seen, ["fused", "thread", "sink"], "r2", N);
    }
  });

  it("from a worker-thread flatMap: each output is a child with its own key", async () => {
    const store = memoryStore();
    const seen: Seen = new Map();
    const p = pipeline<number>("kids")
      .from(Array.from({ length: N }, (_, i) => i))
      .flatMap(worker<number, number[]>(stages, "children", { maxWorkers: 1 }), { name: "split" })
      .to((x: number, ctx) => note(seen, "sink", ctx.key, ctx.index), { concurrency: 2 });
    await p.run({ store, runId: "r3" });
    assertKeys(seen, ["sink"], "r3", N);
  });

  it("mapBatch through a pool: each result has the key mapBatch on the main thread gives it", async () => {
    const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url);
    const keysOf = async (runId: string, pooled: boolean): Promise<string[]> => {
      const seen: string[] = [];
      const fn = pooled
        ? worker<number[], { x: number }[]>(fns, "doubleEach", { maxWorkers: 1 })
        : (xs: number[]) => xs.map((x) => ({ x: x * 2 }));
      await pipeline<number>("kids")
        .from(Array.from({ length: N }, (_, i) => i))
        .mapBatch(fn, { size: 8, name: "twice" })
        .to((o: { x: number }, ctx) => void seen.push(`${ctx.key}@${ctx.index}:${o.x}`))
        .run({ store: memoryStore(), runId });
      return seen.map((k) => k.replace(`${runId}/`, "")).sort();
    };
    const onMain = await keysOf("main", false);
    assert.equal(new Set(onMain).size, N);
    // a batch's first item's key and index, and the result's place in the batch
    for (const k of onMain) {
      const [, first, j, index, x] = /^(\d+)\/(\d+)@(\d+):(\d+)$/.exec(k) ?? [];
      assert.ok(first !== undefined, k);
      assert.equal(Number(first) % 8, 0, k);
      assert.equal(index, first, k);
      assert.equal(Number(x), (Number(first) + Number(j)) * 2, k);
    }
    assert.deepEqual(await keysOf("pool", true), onMain);
  });

  it("nested flatMaps extend the key; a batch carries its first item's; keys repeat on a second run", async () => {
    const runOnce = async (runId: string): Promise<{ leaves: string[]; batches: string[] }> => {
      const store = memoryStore();
      const leaves: string[] = [];
      const batches: string[] = [];
      const p = pipeline<number>("nested")
        .from([0, 1, 2, 3])
        .flatMap((i: number) => children(i), { name: "outer" })
        .flatMap(async (x: number) => [x, x], { name: "inner", concurrency: 2 })
        .map((x: number, ctx) => (leaves.push(ctx.key!), x), { name: "leaf" })
        .batch({ size: 2, name: "pairs" })
        .to((_pair: number[], ctx) => void batches.push(ctx.key!), { name: "sink" });
      await p.run({ store, runId });
      return { leaves, batches };
    };
    const a = await runOnce("n1");
    const expected = [0, 1, 2, 3].flatMap((i) => children(i).flatMap((_, j) => [`n1/${i}/${j}/0`, `n1/${i}/${j}/1`]));
    assert.deepEqual(a.leaves, expected);
    assert.deepEqual(
      a.batches,
      expected.filter((_, k) => k % 2 === 0),
    );
    const b = await runOnce("n1");
    assert.deepEqual(b, a);
  });

  it("a run without a store gives children no key, and their parent's index", async () => {
    const seen: Seen = new Map();
    await pipeline<number>("plain")
      .from([0, 1, 2])
      .flatMap((i: number) => children(i))
      .to((_x: number, ctx) => note(seen, "sink", ctx.key, ctx.index))
      .run();
    assert.deepEqual(seen.get("sink"), [
      ["(none)", 0],
      ["(none)", 1],
      ["(none)", 1],
      ["(none)", 2],
      ["(none)", 2],
      ["(none)", 2],
    ]);
  });

  it("many children of one item (over the sweep threshold) keep distinct keys", async () => {
    const store = memoryStore();
    const keys = new Set<string>();
    let count = 0;
    await pipeline<number>("many")
      .from([0, 1])
      .flatMap(function* (i: number) {
        for (let j = 0; j < 30_000; j++) yield i * 100_000 + j;
      })
      .map(async (x: number) => x, { concurrency: 8 })
      .to((_x: number, ctx) => {
        count++;
        keys.add(ctx.key!);
      })
      .run({ store, runId: "m" });
    assert.equal(count, 60_000);
    assert.equal(keys.size, 60_000);
    assert.ok(keys.has("m/1/29999"));
  });

  it("a child's dead letter has its own key, and its replay sees it as ctx.key", async () => {
    await using store = sqliteStore({ path: join(dir, "dlq.db") });
    let broken = true;
    const seen: Array<[string, string | undefined]> = [];
    const p = pipeline<number>("kid-dlq")
      .from([0, 1, 2, 3])
      .flatMap((i: number) => children(i), { name: "split" })
      .map(
        (x: number, ctx) => {
          if (broken && x % 10 === 1) throw new Error(`child ${x}`);
          seen.push(["check", ctx.key]);
          return x;
        },
        { name: "check", onError: "dead-letter" },
      )
      .map(async (x: number, ctx) => (seen.push(["async", ctx.key]), await Promise.resolve(x)), {
        name: "async",
        concurrency: 2,
      })
      .to((_x: number, ctx) => void seen.push(["sink", ctx.key]));
    const result = await p.run({ store, runId: "d1" });
    assert.deepEqual(
      result.deadLetters.map((l) => [l.index, l.key]),
      [
        [1, "d1/1/1"],
        [2, "d1/2/1"],
      ],
    );
    const letters = (await store.deadLetters.list({ runName: "kid-dlq" })).records;
    assert.deepEqual(
      letters.map((l) => [l.key, l.index, l.item]),
      [
        ["d1/1/1", 1, 11],
        ["d1/2/1", 2, 21],
      ],
    );
    broken = false;
    seen.length = 0;
    const report = await replayDeadLetters(p, { store });
    assert.equal(report.succeeded, 2);
    for (const stage of ["check", "async", "sink"]) {
      assert.deepEqual(
        seen
          .filter(([s]) => s === stage)
          .map(([, k]) => k)
          .sort(),
        ["d1/1/1", "d1/2/1"],
        stage,
      );
    }
  });

  it("a dispatch route below a flatMap sees each child's source index as ctx.index", async () => {
    const seen: Array<[number, number]> = [];
    const { out } = pipeline<number>("kids-dispatch")
      .from(Array.from({ length: 6 }, (_, i) => i))
      .flatMap((i: number) => children(i), { name: "split" })
      .dispatch<"out", { out: number }>(
        (x, ctx) => {
          seen.push([x, ctx.index]);
          ctx.emit("out", x);
        },
        ["out"],
        { name: "d" },
      );
    const got: number[] = [];
    await out.to((x) => void got.push(x)).run({ store: memoryStore(), runId: "rd" });
    assert.equal(got.length, 12);
    // a child id is its source index plus a fraction inside the run: a route sees the index
    for (const [x, index] of seen) assert.equal(index, Math.floor(x / 10), `child ${x}`);
  });
});
