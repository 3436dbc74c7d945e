import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline, type Run } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { turns } from "../helpers.js";

/** A deterministic generator of numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Asserts the checkpoint promise: every source item below the low watermark is done (`done(i)`),
 * and the watermark never passes the position read.
 */
function checkWatermark(run: Run, done: (index: number) => boolean, where: string): number {
  const snap = run.snapshot();
  assert.ok(
    snap.lowWatermark <= snap.sourceItems,
    `${where}: watermark ${snap.lowWatermark} > read ${snap.sourceItems}`,
  );
  for (let i = 0; i < snap.lowWatermark; i++) {
    if (!done(i)) assert.fail(`${where}: watermark ${snap.lowWatermark} passed item ${i}, which is not done`);
  }
  return snap.lowWatermark;
}

describe("after stop(), the run reports what was really read and done", () => {
  it("an array source: sourceItems and the low watermark are what reached the sink, not the array's length", async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const delivered: number[] = [];
    const run = pipeline("p")
      .from(items)
      .to(
        async (x) => {
          await new Promise((r) => setTimeout(r, 0));
          delivered.push(x);
        },
        { name: "sink", concurrency: 4 },
      )
      .run();
    while (delivered.length < 100) await turns(1);
    const result = await run.stop();
    // before the fix: sourceItems 10000 and lowWatermark 10000 with a few hundred delivered
    assert.equal(result.stopped, true);
    assert.equal(result.abandoned, 0);
    assert.ok(result.sourceItems < 10_000, `sourceItems ${result.sourceItems}`);
    assert.equal(result.sourceItems, delivered.length, "everything read was delivered (a graceful stop)");
    assert.equal(result.lowWatermark, delivered.length);
    const snap = run.snapshot();
    assert.equal(snap.sourceItems, delivered.length);
    assert.equal(snap.lowWatermark, delivered.length);
    assert.deepEqual(
      delivered,
      Array.from({ length: delivered.length }, (_, i) => i),
    );
  });

  it("an array read in place by a fused tail, stopped mid-way: the same", async () => {
    const items = Array.from({ length: 50_000 }, (_, i) => i);
    let seen = 0;
    const delivered: number[] = [];
    const run = pipeline("p")
      .from(items)
      .map((x) => x + 1) // fused: the array is read in place
      .filter(() => ++seen > 0)
      .to(
        async (x) => {
          await new Promise((r) => setTimeout(r, 0));
          delivered.push(x - 1);
        },
        { concurrency: 2 },
      )
      .run();
    while (delivered.length < 10) await turns(1);
    const result = await run.stop();
    assert.equal(result.sourceItems, delivered.length);
    assert.equal(result.lowWatermark, delivered.length);
    assert.equal(seen, delivered.length, "the fused stages saw only what was read");
  });

  it("when the grace runs out, the watermark stays at the first item that was not done", async () => {
    const clock = new ManualClock();
    const delivered = new Set<number>();
    const run = pipeline("p")
      .from(Array.from({ length: 1_000 }, (_, i) => i))
      .map(
        (x) =>
          new Promise<number>((resolve) => {
            if (x !== 7) clock.setTimer(() => resolve(x), 10); // item 7 never settles
          }),
        { concurrency: 8, ordered: false, capacity: 16 },
      )
      .to((x) => void delivered.add(x), { name: "sink" })
      .run({ clock });
    await clock.advance(25);
    const stopped = run.stop({ graceMs: 1_000 });
    await clock.advance(1_000);
    const r = await stopped;
    assert.equal(r.stopped, true);
    assert.ok(r.abandoned >= 1, `abandoned ${r.abandoned}`);
    assert.equal(r.lowWatermark, 7);
    assert.equal(delivered.has(7), false);
    assert.ok(delivered.size > 7, "items after 7 were delivered (unordered)");
    assert.equal(run.snapshot().lowWatermark, 7);
    assert.equal(r.sourceItems, run.snapshot().sourceItems);
  });
});

describe("the low watermark is never ahead of an item that is not done", () => {
  it("sampled all through runs with unordered stages, retries, flatMap, filters, batches, branches and a stop cut short", async () => {
    for (const seed of [1, 2, 3]) {
      const random = seeded(seed);
      const clock = new ManualClock();
      const n = 600;
      // item i: dropped by the filter when i % 7 === 3; else expanded into (i % 3) + 1 children; each
      // child reaches one of the two sinks (a broadcast to both when i % 5 === 0)
      const expected = (i: number): number => (i % 7 === 3 ? 0 : ((i % 3) + 1) * (i % 5 === 0 ? 2 : 1));
      const got = new Map<number, number>();
      const arrive = (i: number): void => void got.set(i, (got.get(i) ?? 0) + 1);
      const done = (i: number): boolean => (got.get(i) ?? 0) === expected(i);
      let checks = 0;
      const check = (where: string): void => {
        checkWatermark(run, done, `seed ${seed} ${where}`);
        checks++;
      };
      const delay = <T>(x: T): Promise<T> =>
        new Promise((resolve) => clock.setTimer(() => resolve(x), Math.floor(random() * 20)));
      let failures = 0;
      const p = pipeline("p")
        .from(function* () {
          for (let i = 0; i < n; i++) yield i;
        })
        .map(
          async (i) => {
            if (random() < 0.05 && failures++ % 2 === 0) throw new Error("flaky");
            return delay(i);
          },
          { concurrency: 8, ordered: false, retry: { attempts: 5, baseMs: 5 } },
        )
        .filter((i) => i % 7 !== 3)
        .flatMap(
          async function* (i, ctx) {
            for (let c = 0; c <= i % 3; c++) {
              yield await delay({ i, c, index: ctx.index });
            }
          },
          { concurrency: 4, ordered: seed !== 2 },
        );
      const { both, one } = p.route((x) => (x.i % 5 === 0 ? "both" : "one"), ["both", "one"]);
      const merged = both.merge(one);
      merged.batch({ size: 5, maxWaitMs: 30 }).to(
        async (batch) => {
          check("before a batch");
          await delay(0);
          for (const x of batch) arrive(x.i);
          check("after a batch");
        },
        { concurrency: 2, name: "batches" },
      );
      both
        .tap(() => {})
        .to(
          async (x) => {
            await delay(0);
            arrive(x.i);
            check("after an item");
          },
          { concurrency: 3, ordered: false, name: "items" },
        );
      // the stages call check() only once the run started (on a later microtask)
      const run = p.run({ clock, random });
      let steps = 0;
      while (run.snapshot().state === "running" && steps++ < 400) {
        await clock.advance(5);
        check("on a tick");
        if (seed === 3 && steps === 60) void run.stop({ graceMs: 40 }); // cut short mid-way
      }
      await clock.runAll();
      const r = await run;
      check("at the end");
      if (seed === 3) {
        assert.equal(r.stopped, true);
        assert.ok(r.sourceItems < n);
      } else {
        assert.equal(r.lowWatermark, n, `seed ${seed}`);
        for (let i = 0; i < n; i++) assert.ok(done(i), `seed ${seed}: item ${i} done`);
      }
      assert.ok(checks > 50, `seed ${seed}: ${checks} checks`);
    }
  });

  it("an item that fails the run holds the watermark at its index", async () => {
    const run = pipeline("p")
      .from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        async (x) => {
          await new Promise((r) => setTimeout(r, 0));
          if (x === 42) throw new Error("bad row");
          return x;
        },
        { concurrency: 4 },
      )
      .to(() => {})
      .run();
    await assert.rejects(run);
    assert.ok(run.snapshot().lowWatermark <= 42, `watermark ${run.snapshot().lowWatermark}`);
  });

  it("a fused stage reading the snapshot sees its own item as not done", async () => {
    const seen: Array<[number, number]> = [];
    const run: Run = pipeline("p")
      .from(Array.from({ length: 3_000 }, (_, i) => i))
      .map((x, ctx) => {
        if (x % 500 === 0) seen.push([ctx.index, run.snapshot().lowWatermark]);
        return x;
      })
      .to(async () => {})
      .run();
    await run;
    assert.equal(seen.length, 6);
    for (const [index, watermark] of seen) assert.ok(watermark <= index, `item ${index}: watermark ${watermark}`);
  });
});

describe("the CLI after a real SIGTERM", () => {
  it("reports the source items really read (not the array's length), all of them delivered", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const child = spawn(process.execPath, [`${root}bin/weir.js`, "run", "test/fixtures/faults/cli-array.mjs"], {
      cwd: root,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("READY")) resolve();
      });
    });
    child.kill("SIGTERM");
    const hang = setTimeout(() => child.kill("SIGKILL"), 60_000); // a hang guard only
    const code = await exited;
    clearTimeout(hang);
    assert.equal(code, 0, stderr);
    const reported = /cli-array: stopped in [\d.]+s, ([\d,]+) source items/.exec(stdout);
    assert.ok(reported, stdout);
    const read = Number(reported[1]!.replace(/,/g, ""));
    const delivered = Number(/DELIVERED (\d+)/.exec(stderr)![1]);
    // before the fix: "100,000 source items" after a SIGTERM that delivered a few hundred
    assert.ok(read < 100_000, `reported ${read}`);
    assert.equal(read, delivered, "what was read was delivered: a graceful stop drains it");
  });
});
