import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, ManualClock, type StageStats } from "../../src/index.js";
import { attemptSizes } from "../helpers.js";

/**
 * An async stage wider than one, on the real clock, handles the attempts that resolved in one
 * burst of promise reactions together, at the burst's end. These tests scramble the bursts: of
 * 8 items started together, the 4th and 5th settle first (one microtask hop: they wait in the
 * reorder ring), then the first three (two hops: handled in place, after which the ring drains),
 * then the last three (three hops).
 */
const hopsOf = [2, 2, 2, 1, 1, 3, 3, 3];
const hops = async (x: number): Promise<void> => {
  for (let i = 0; i < hopsOf[x % 8]!; i++) await Promise.resolve();
};
const input = Array.from({ length: 200 }, (_, i) => i);

/** `fn` as an async stage function whose item waits `hops(key(x))` first. */
function scrambled<T>(fn: (x: number) => T, key = (x: number): number => x): (x: number) => Promise<T> {
  return async (x) => {
    await hops(key(x));
    return fn(x);
  };
}

function stageNamed(stats: Readonly<Record<string, StageStats>>, name: string): StageStats {
  const s = Object.values(stats).find((x) => x.name === name);
  assert.ok(s !== undefined, `no stage ${name}`);
  return s;
}

describe("an async stage's burst of settles", { timeout: 60_000 }, () => {
  it("map, filter and tap deliver in input order, each item once, and count every item", async () => {
    const seen: number[] = [];
    const out: number[] = [];
    const result = await pipeline<number>("burst")
      .from(input)
      .map(
        scrambled((x) => x * 10),
        { name: "times10", concurrency: 8 },
      )
      .filter(
        scrambled(
          (x) => x % 20 === 0,
          (x) => x / 10,
        ),
        { name: "even", concurrency: 8 },
      )
      .tap(
        scrambled(
          (x) => {
            seen.push(x);
            return "a tap's return value is not its output";
          },
          (x) => x / 10,
        ),
        { name: "look", concurrency: 8 },
      )
      .to((x: number) => void out.push(x))
      .run();
    const expected = input.filter((x) => x % 2 === 0).map((x) => x * 10);
    assert.deepEqual(out, expected);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      expected,
    );
    assert.notDeepEqual(seen, expected, "the tap's calls settled out of order: the bursts were scrambled");
    for (const [name, n, outCount] of [
      ["times10", 200, 200],
      ["even", 200, 100],
      ["look", 100, 100],
    ] as const) {
      const s = stageNamed(result.stats, name);
      assert.equal(s.in, n, `${name} in`);
      assert.equal(s.out, outCount, `${name} out`);
      assert.equal(s.latency.count, n, `${name}: one latency sample per item`);
      assert.equal(s.inFlight, 0, `${name} in flight at the end`);
    }
  });

  it("an async sink counts every item it wrote", async () => {
    const written: number[] = [];
    const result = await pipeline<number>("sink")
      .from(input)
      .to(
        scrambled((x) => void written.push(x)),
        { name: "write", concurrency: 8 },
      )
      .run();
    assert.deepEqual(
      [...written].sort((a, b) => a - b),
      input,
    );
    const s = stageNamed(result.stats, "write");
    assert.equal(s.out, 200);
    assert.equal(s.latency.count, 200);
  });

  it("unordered: every item once, and every one counted", async () => {
    const out: number[] = [];
    const result = await pipeline<number>("unordered")
      .from(input)
      .map(
        scrambled((x) => x),
        { name: "id", concurrency: 8, ordered: false },
      )
      .to((x: number) => void out.push(x))
      .run();
    assert.notDeepEqual(out, input, "settle order, not input order");
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      input,
    );
    assert.equal(stageNamed(result.stats, "id").latency.count, 200);
  });

  it("a failure in the burst is skipped in place, the items around it keep their order", async () => {
    const out: number[] = [];
    const result = await pipeline<number>("skip")
      .from(input)
      .map(
        scrambled((x) => {
          if (x % 10 === 3) throw new Error(`bad ${x}`);
          return x;
        }),
        { name: "check", concurrency: 8, onError: "skip" },
      )
      .to((x: number) => void out.push(x))
      .run();
    assert.deepEqual(
      out,
      input.filter((x) => x % 10 !== 3),
    );
    const s = stageNamed(result.stats, "check");
    assert.equal(s.errors, 20);
    assert.equal(s.out, 180);
  });

  it("a tracer hears one attempt per item, as with one item at a time", async () => {
    const { tracer, sizes: attempts } = attemptSizes("traced");
    await pipeline<number>("traced")
      .from(input)
      .map(
        scrambled((x) => x),
        { name: "traced", concurrency: 8 },
      )
      .to(() => {})
      .run({ tracer });
    assert.equal(attempts.length, 200);
    assert.ok(
      attempts.every((n) => n === 1),
      "each attempt is one item's",
    );
  });
});

describe("a source waiting for room below", { timeout: 60_000 }, () => {
  it("counts the time it waited as its back-pressure", async () => {
    const clock = new ManualClock();
    const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(r, ms));
    const run = pipeline<number>("blocked")
      .from(input)
      .map(
        async (x: number) => {
          await sleep(10);
          return x;
        },
        { name: "slow", concurrency: 1, capacity: 2 },
      )
      .run({ clock });
    try {
      for (let t = 0; t < 100; t++) await clock.advance(1);
      const source = run.snapshot().stages.find((s) => s.kind === "source")!;
      // the channel fills at once; the source then waits for the slow stage nearly all the time
      assert.ok(source.backPressuredMs >= 90, `source back-pressured ${source.backPressuredMs} ms`);
    } finally {
      const stopped = run.stop({ graceMs: 0 });
      await clock.advance(0);
      await clock.runAll();
      await stopped;
    }
  });
});
