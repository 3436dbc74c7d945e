import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, StageError, type RunEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { collect } from "../helpers.js";

describe("priority", () => {
  it("with ordered: true (the default), output follows the order items left the queue, whatever completes first", async () => {
    const clock = new ManualClock();
    // the whole chunk is queued before the stage takes its first item, so it takes them by priority
    const out = pipeline("p")
      .from([0, 1, 2, 3, 4])
      .map((x) => new Promise<number>((resolve) => clock.setTimer(() => resolve(x), 10 * (x + 1))), {
        priority: (x) => x,
        concurrency: 3,
        name: "work",
      })
      .stream({ clock });
    const got = collect(out);
    await clock.runAll();
    assert.deepEqual(await got, [4, 3, 2, 1, 0], "dequeue order (highest first), not input order or completion order");
  });

  it("a priority that throws fails that item under onError; the others go on in priority order", async () => {
    const errors: RunEvents["stage:error"][] = [];
    const seen: number[] = [];
    const run = pipeline("p")
      .from([1, 2, 3, 4])
      .map(async (x) => x * 10, {
        name: "work",
        onError: "skip",
        priority: (x) => {
          if (x === 3) throw new Error("no priority for 3");
          return x;
        },
      })
      .to((x) => void seen.push(x), { name: "sink" })
      .run();
    run.on("stage:error", (e) => void errors.push(e));
    const r = await run;
    assert.deepEqual(seen, [40, 20, 10]);
    assert.equal(r.stats.work!.skipped, 1);
    assert.equal(r.stats.work!.errors, 1);
    assert.equal(r.stats.work!.out, 3);
    assert.deepEqual(
      errors.map((e) => [e.stage, e.index, e.item, (e.error as Error).message, e.action]),
      [["work", 2, 3, "no priority for 3", "skip"]],
    );
  });

  for (const [label, bad] of [
    ["NaN", Number.NaN],
    ["a string", "high"],
    ["Infinity", Infinity],
  ] as const) {
    it(`a priority of ${label} is an error too (dead-lettered here), not silently 0`, async () => {
      const r = await pipeline("p")
        .from(["a", "b"])
        .map(async (x) => x, {
          name: "work",
          onError: "dead-letter",
          priority: (x) => (x === "b" ? (bad as number) : 1),
        })
        .run();
      assert.equal(r.deadLetters.length, 1);
      const dl = r.deadLetters[0]!;
      assert.deepEqual([dl.stage, dl.index, dl.item], ["work", 1, "b"]);
      assert.ok(dl.error instanceof TypeError);
      assert.match((dl.error as Error).message, /priority\(item\) returned .*; expected a finite number/);
    });
  }

  it('under onError: "fail" the run rejects with a StageError naming the stage and the item', async () => {
    await assert.rejects(
      pipeline("p")
        .from([5, 6, 7])
        .map((x) => x) // fused into the source step: the priority is called where that step pushes
        .map(async (x) => x, { name: "ranked", concurrency: 2, priority: (x) => (x === 6 ? Number.NaN : x) })
        .run(),
      (e: unknown) => {
        assert.ok(e instanceof StageError, String(e));
        assert.equal(e.stage, "ranked");
        assert.equal(e.index, 1);
        assert.equal(e.item, 6);
        assert.match(e.message, /stage "ranked" failed on item 1: priority\(item\) returned NaN/);
        return true;
      },
    );
  });

  it("the priority function runs once per item", async () => {
    let calls = 0;
    await pipeline("p")
      .from([1, 2, 3])
      .map(async (x) => x, { priority: () => (calls++, 1) })
      .run();
    assert.equal(calls, 3);
  });

  it("a fairBy key that throws or is not a string or number fails that item alone", async () => {
    const r = await pipeline("p")
      .from([{ t: "a" }, { t: {} }, { t: "b" }])
      .map(async (x) => x, { name: "fair", onError: "dead-letter", fairBy: (x) => x.t as string })
      .run();
    assert.deepEqual(
      r.deadLetters.map((d) => [d.stage, d.index, (d.error as Error).message]),
      [["fair", 1, "fairBy(item) returned an object; expected a string or a finite number"]],
    );
    assert.equal(r.stats.fair!.out, 2);
  });
});

describe("the plan names the priority queue that runs", () => {
  for (const agingPerSecond of [undefined, 1]) {
    it(`a priority stage ${agingPerSecond === undefined ? "without agingPerSecond (default 1)" : "with agingPerSecond: 1"}: the plan says "aging-priority", and an old low-priority item is served before a newer higher one`, async () => {
      const clock = new ManualClock();
      const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(r, ms));
      async function* jobs(): AsyncGenerator<{ name: string; p: number }> {
        yield { name: "blocker", p: 100 };
        yield { name: "old", p: 0 };
        await sleep(10_000);
        yield { name: "new", p: 5 };
      }
      const p = pipeline("p")
        .from(jobs)
        .map((job) => (job.name === "blocker" ? sleep(20_000).then(() => job.name) : job.name), {
          name: "work",
          priority: (job) => job.p,
          ...(agingPerSecond === undefined ? {} : { agingPerSecond }),
        });
      assert.equal(p.plan().steps.find((s) => s.head === "work")!.input!.queue, "aging-priority");
      const got = collect(p.stream({ clock }));
      await clock.runAll();
      // at 20 s "old" (0, waited 20 s → 20) outranks "new" (5, waited 10 s → 15); without aging "new" would go first
      assert.deepEqual(await got, ["blocker", "old", "new"]);
    });
  }
});
