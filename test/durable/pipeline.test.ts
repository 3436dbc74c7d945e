/**
 * Durable pipeline runs through the public API (`run({ store })`): item keys in every kind of
 * stage, checkpoints and resume for replayable and seekable sources, the inbox for an async
 * source, the plan-hash refusal, a live owner's refusal, dead letters in the store.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore, pipeline, worker, WeirError, type Store } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-durable-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const stores: Array<[string, () => Store]> = [
  ["memory", () => memoryStore()],
  ["sqlite", () => sqliteStore({ path: join(dir, `t${files++}.db`) })],
];
const stages = new URL("../fixtures/durable/stages.mjs", import.meta.url);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

for (const [kind, open] of stores) {
  describe(`durable pipeline runs (${kind} store)`, () => {
    it("gives every item a stable key in inline, async and worker stages", async () => {
      await using store = open();
      const seen = new Map<string, string[]>();
      const note = (stage: string, key: string | undefined): void => {
        const list = seen.get(stage) ?? [];
        list.push(key ?? "none");
        seen.set(stage, list);
      };
      const run = pipeline("keys")
        .from(range(20))
        .map((x, ctx) => (note("inline", ctx.key), x), { name: "inline" })
        .map(async (x, ctx) => (await Promise.resolve(), note("async", ctx.key), x), { name: "async", concurrency: 4 })
        .map(worker<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
          name: "pool",
        })
        .to((r, ctx) => {
          note("pool", r.key);
          note("sink", ctx.key);
        })
        .run({ store, runId: "run-7" });
      const result = await run;
      assert.equal(run.runId, "run-7");
      const expected = range(20).map((i) => `run-7/${i}`);
      for (const stage of ["inline", "async", "pool", "sink"])
        assert.deepEqual(seen.get(stage)!.sort(), expected.sort(), stage);
      assert.equal(result.sourceItems, 20);
      const record = await store.getRun("run-7");
      assert.equal(record?.state, "completed");
      assert.equal(record?.progress.done, 20);
    });

    it("gives no key in a run without a store", async () => {
      const keys: unknown[] = [];
      await pipeline("plain")
        .from([1, 2])
        .map((x, ctx) => (keys.push(ctx.key), x))
        .map(async (x, ctx) => (keys.push(ctx.key), x))
        .run();
      assert.deepEqual(keys, [undefined, undefined, undefined, undefined]);
    });

    it("resumes a stopped run from its checkpoint: done items never run again, the rest keep their keys", async () => {
      await using store = open();
      const n = 2_000;
      const first: string[] = [];
      const build = (sink: (x: number, key: string) => void) =>
        pipeline("resume")
          .from(range(n))
          .map(async (x) => x * 2, { concurrency: 8 })
          .to((x, ctx) => sink(x, ctx.key!));
      const run = build((x, key) => {
        first.push(key);
        if (first.length === 700) void run.stop({ graceMs: 0 });
      }).run({ store });
      const stopped = await run;
      assert.equal(stopped.stopped, true);
      const id = run.runId!;
      const record = await store.getRun(id);
      assert.equal(record?.state, "running"); // released, resumable
      assert.equal(record?.live, false);
      const second: string[] = [];
      const resumed = build((_x, key) => second.push(key)).run({ store, resume: id });
      await resumed;
      assert.equal(resumed.runId, id);
      const all = new Set([...first, ...second]);
      assert.equal(all.size, n, "no gaps");
      for (let i = 0; i < n; i++) assert.ok(all.has(`${id}/${i}`));
      // what the first run sank before its last checkpoint is not sunk again
      const twice = second.filter((k) => first.includes(k));
      assert.ok(twice.length <= 8 + 1024, `re-run after the checkpoint: ${twice.length}`);
      assert.ok(second.length < n - 600, `the resume re-ran ${second.length} of ${n}`);
      assert.equal((await store.getRun(id))?.state, "completed");
    });

    it("seeks a seekable source `(offset) => …` to the watermark on resume", async () => {
      await using store = open();
      const offsets: number[] = [];
      const src = (offset: number): Iterable<number> => {
        offsets.push(offset);
        return (function* () {
          for (let i = offset; i < 5000; i++) yield i;
        })();
      };
      const got: Array<[number, string]> = [];
      let onItem = (): void => {};
      const p = pipeline("seek")
        .from(src)
        .to((x, ctx) => {
          got.push([x, ctx.key!]);
          onItem();
        });
      const run = p.run({ store });
      onItem = () => {
        if (got.length === 400) void run.stop({ graceMs: 0 });
      };
      await run;
      onItem = () => {};
      await p.run({ store, resume: run.runId! });
      assert.equal(offsets[0], 0);
      assert.ok(offsets[1]! >= 400 && offsets[1]! < 5000, `resumed at ${offsets[1]}`);
      assert.equal(got.length, 5000, "nothing ran twice (an inline sink is done once it returned)");
      for (const [x, key] of got) assert.equal(key, `${run.runId}/${x}`); // keys follow source positions
      assert.deepEqual(
        [...new Set(got.map(([x]) => x))].sort((a, b) => a - b),
        range(5000),
      );
    });

    it("keeps an async source's admitted items in the inbox and replays them first on resume", async () => {
      await using store = open();
      let next = 0;
      const source = async function* (): AsyncGenerator<number> {
        while (next < 300) yield next++; // a queue: what was read is gone from it
      };
      let gate: Promise<void> | undefined;
      let onItem = (_x: number, _key: string): void => {};
      const p = pipeline("inbox")
        .from(source)
        .map(
          async (x) => {
            if (x >= 100 && gate !== undefined) await gate; // items 100.. stay in flight
            return x;
          },
          { concurrency: 16 },
        )
        .to((x, ctx) => onItem(x, ctx.key!));
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      const firstDone: number[] = [];
      const run = p.run({ store });
      onItem = (x) => {
        firstDone.push(x);
        if (firstDone.length === 100) setTimeout(() => void run.stop({ graceMs: 0 }), 50);
      };
      await run;
      gate = undefined;
      release();
      const id = run.runId!;
      const inFlight = next - 100; // read from the queue, never done
      assert.ok(inFlight > 0);
      const second: Array<[number, string]> = [];
      onItem = (x, key) => void second.push([x, key]);
      await p.run({ store, resume: id });
      // the items the queue already gave away came back from the inbox, with their old keys
      for (let x = 100; x < 100 + inFlight; x++) {
        const hit = second.find(([v]) => v === x);
        assert.ok(hit !== undefined, `item ${x} was lost`);
        assert.equal(hit[1], `${id}/${x}`);
      }
      assert.deepEqual(
        [...new Set([...firstDone, ...second.map(([x]) => x)])].sort((a, b) => a - b),
        range(300),
      );
    });

    it("refuses to resume a run whose pipeline changed, naming the change, unless forced", async () => {
      await using store = open();
      const run = pipeline("shape")
        .from([1, 2, 3])
        .map((x) => x + 1, { name: "enrich" })
        .to(() => {})
        .run({ store });
      await run;
      const changed = () =>
        pipeline("shape")
          .from([1, 2, 3])
          .map((x) => x + 2, { name: "enrich" })
          .to(() => {});
      await assert.rejects(changed().run({ store, resume: run.runId! }), (error: unknown) => {
        assert.ok(WeirError.is(error));
        assert.equal(error.code, "WEIR_PLAN_CHANGED");
        assert.match(error.message, /"enrich" changed/);
        return true;
      });
      const renamed = pipeline("shape")
        .from([1, 2, 3])
        .map((x) => x + 1, { name: "enrich2" })
        .to(() => {});
      await assert.rejects(renamed.run({ store, resume: run.runId! }), /"enrich" removed/);
      await changed().run({ store, resume: run.runId!, force: true });
    });

    it("sees a changed function behind a cache, in a mapBatch, given to worker(), and a mapBatch made a flatMap", async () => {
      await using store = open();
      const shapes: Record<string, (variant: number) => ReturnType<ReturnType<typeof pipeline>["from"]>> = {
        cached: (v) =>
          pipeline("fp")
            .from([1, 2, 3])
            .map(v === 0 ? (x: number) => x + 1 : (x: number) => x * 3, { name: "s", cache: {} }),
        mapBatch: (v) =>
          pipeline("fp")
            .from([1, 2, 3])
            .mapBatch(v === 0 ? (xs: number[]) => xs.map((x) => x + 1) : (xs: number[]) => xs.map((x) => x * 3), {
              size: 2,
              name: "s",
            }),
        "worker(fn)": (v) =>
          pipeline("fp")
            .from([1, 2, 3])
            .map(worker(v === 0 ? (x: number) => x + 1 : (x: number) => x * 3, { maxWorkers: 1 }), { name: "s" }),
        "mapBatch(worker())": (v) =>
          v === 0
            ? pipeline("fp")
                .from([1, 2, 3])
                .mapBatch(worker<number[], number[]>(stages, "doubleAll", { maxWorkers: 1 }), { size: 2, name: "s" })
            : pipeline("fp")
                .from([1, 2, 3])
                .batch({ size: 2, name: "s/batch" })
                .flatMap(worker<number[], number[]>(stages, "doubleAll", { maxWorkers: 1 }), { name: "s" }),
      };
      for (const [what, shape] of Object.entries(shapes)) {
        const run = shape(0)
          .to(() => {})
          .run({ store });
        await run;
        // the same shape resumes (the fingerprint is stable), the other variant is refused
        await shape(0)
          .to(() => {})
          .run({ store, resume: run.runId! });
        await assert.rejects(
          shape(1)
            .to(() => {})
            .run({ store, resume: run.runId! }),
          (error: unknown) => {
            assert.ok(WeirError.is(error), what);
            assert.equal(error.code, "WEIR_PLAN_CHANGED", what);
            assert.match(error.message, /"s" changed/, what);
            return true;
          },
        );
      }
    });

    it("refuses a second owner while the run is live", async () => {
      await using store = open();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const p = pipeline("owned")
        .from([1, 2, 3])
        .map(async (x) => (await gate, x))
        .to(() => {});
      const run = p.run({ store, runId: "owned-1" });
      while (run.snapshot().sourceItems === 0) await new Promise((r) => setTimeout(r, 1));
      await assert.rejects(p.run({ store, resume: "owned-1" }), (error: unknown) => {
        assert.ok(WeirError.is(error));
        assert.equal(error.code, "WEIR_RUN_OWNED");
        return true;
      });
      release();
      await run;
    });

    it("stores dead letters with the run, under the item's key", async () => {
      await using store = open();
      const run = pipeline("dlq")
        .from(range(10))
        .map(
          (x) => {
            if (x % 5 === 0) throw new Error(`bad ${x}`);
            return x;
          },
          { name: "check", onError: "dead-letter" },
        )
        .to(() => {})
        .run({ store, runId: "dlq-1" });
      await run;
      const page = await store.deadLetters.list({ runId: "dlq-1" });
      assert.deepEqual(
        page.records.map((d) => [d.key, d.stage, d.error.message]),
        [
          ["dlq-1/0", "check", "bad 0"],
          ["dlq-1/5", "check", "bad 5"],
        ],
      );
    });

    it("validates the durable options", () => {
      const p = pipeline("opts")
        .from([1])
        .to(() => {});
      assert.throws(() => p.run({ runId: "x" }), /runId/);
      assert.throws(() => p.run({ store: {} as Store }), /store/);
      assert.throws(() => p.run({ store: memoryStore(), runId: "a", resume: "b" }), /not both/);
    });

    it("runs a pipeline with several sources durably, an async one among them: keys name the source", async () => {
      await using store = open();
      const keys: string[] = [];
      const start = pipeline("two-sources");
      const a = start.from([1, 2], { name: "a" });
      const b = start.from([3, 4], { name: "b" });
      const poolKeys: string[] = [];
      await a
        .merge(b)
        .map(worker<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
          name: "pool",
        })
        .to((r, ctx) => {
          poolKeys.push(r.key);
          keys.push(ctx.key!);
        })
        .run({ store, runId: "two" });
      assert.deepEqual(keys.sort(), ["two/a/0", "two/a/1", "two/b/0", "two/b/1"]);
      assert.deepEqual(poolKeys.sort(), keys, "a worker-thread stage builds the same keys");
      assert.equal((await store.getRun("two"))?.progress.done, 4);
      // an async generator among them goes through the inbox, its rows under run-wide indexes
      const s2 = pipeline("two-streams");
      const c = s2.from([1], { name: "c" });
      const d = s2.from(
        async function* () {
          yield 2;
          yield 3;
        },
        { name: "d" },
      );
      const keys2: string[] = [];
      await c
        .merge(d)
        .to((_x, ctx) => void keys2.push(ctx.key!))
        .run({ store, runId: "two-streams" });
      assert.deepEqual(keys2.sort(), ["two-streams/c/0", "two-streams/d/0", "two-streams/d/1"]);
      assert.equal((await store.getRun("two-streams"))?.progress.done, 3);
    });
  });
}
