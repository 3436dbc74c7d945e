import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline, deadLetterDefaults, InvalidOptionError, type DeadLetter } from "../../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function failing(n: number, keep?: number) {
  const p = pipeline<number>("p")
    .from(Array.from({ length: n }, (_, i) => i))
    .map(
      (x) => {
        if (x % 2 === 1) throw new Error(`bad ${x}`);
        return x;
      },
      { onError: "dead-letter", name: "parse" },
    )
    .to(() => {});
  return p.run(keep === undefined ? {} : { deadLetters: { keep } });
}

describe("dead letters are bounded in memory", () => {
  it("the result keeps the first 1,000 by default and counts the rest; the event sees every one", async () => {
    assert.equal(deadLetterDefaults.keep, 1000);
    const run = failing(10_000);
    const seen: DeadLetter[] = [];
    run.on("stage:dead-letter", (d) => void seen.push(d));
    const r = await run;
    assert.equal(r.deadLetters.length, 1000);
    assert.equal(r.deadLettersDropped, 4000);
    assert.deepEqual(
      r.deadLetters.map((d) => d.index),
      Array.from({ length: 1000 }, (_, i) => 2 * i + 1),
      "the first ones, in the order they failed",
    );
    assert.equal(seen.length, 5000, "stage:dead-letter carries all of them");
    assert.equal(r.stats.parse!.deadLettered, 5000);
    assert.equal(run.snapshot().deadLetters, 5000, "the snapshot counts them all");
  });

  it("keep: a smaller cap, 0 (count only), or Infinity (keep every one)", async () => {
    const ten = await failing(100, 10);
    assert.deepEqual([ten.deadLetters.length, ten.deadLettersDropped], [10, 40]);
    const none = await failing(100, 0);
    assert.deepEqual([none.deadLetters.length, none.deadLettersDropped], [0, 50]);
    const all = await failing(4_000, Infinity);
    assert.deepEqual([all.deadLetters.length, all.deadLettersDropped], [2000, 0]);
  });

  it("an invalid keep is refused when run() is called, naming the option", () => {
    for (const bad of [-1, 1.5, "10", Number.NaN]) {
      assert.throws(
        () => failing(4, bad as number),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          e.option === "deadLetters.keep" &&
          /expected a non-negative integer, or Infinity/.test(e.message),
      );
    }
    assert.throws(
      () =>
        pipeline("p")
          .from([1])
          .run({ deadLetters: { kept: 5 } as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "deadLetters.kept",
    );
  });

  it("memory stays flat while a run dead-letters every item (heap after GC, 50,000 vs 300,000 dead letters)", () => {
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", "test/fixtures/faults/dead-letter-heap.ts", "50000", "300000"],
      { cwd: root, encoding: "utf8", timeout: 180_000 },
    );
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const { heap, kept, dropped } = JSON.parse(r.stdout) as { heap: [number, number]; kept: number; dropped: number };
    assert.deepEqual([kept, dropped], [1000, 299_000]);
    // before the fix every dead letter (item, error, stack) stayed in memory: hundreds of MB here
    // (+738 MB RSS for 1,000,000 in the drill)
    assert.ok(
      heap[1] - heap[0] < 20_000_000,
      `heap grew by ${((heap[1] - heap[0]) / 1e6).toFixed(1)} MB from 50,000 to 300,000 dead letters`,
    );
  });
});
