import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, ManualClock } from "../../src/index.js";

describe("snapshot: items/s, utilisation, back-pressure and the bottleneck", { timeout: 60_000 }, () => {
  it("names the slow stage, not the busy stage above it that waits for room", async () => {
    const clock = new ManualClock();
    const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(r, ms));
    const run = pipeline("bottle")
      .from(Array.from({ length: 200 }, (_, i) => i))
      .map(
        async (x: number) => {
          await sleep(1);
          return x;
        },
        { name: "parse", concurrency: 1 },
      )
      .map(
        async (x: number) => {
          await sleep(10);
          return x;
        },
        { name: "enrich", concurrency: 1, capacity: 2 },
      )
      .run({ clock });
    for (let t = 0; t < 1000; t++) await clock.advance(1);
    const snap = run.snapshot();
    const parse = snap.stages.find((s) => s.name === "parse")!;
    const enrich = snap.stages.find((s) => s.name === "enrich")!;
    assert.equal(snap.elapsedMs, 1000);
    // enrich works all the time from 1 ms (parse's first item), 10 ms an item: 99 items by 991 ms
    assert.equal(enrich.busyMs, 999);
    assert.equal(enrich.utilisation, 0.999);
    assert.equal(enrich.out, 99);
    assert.equal(enrich.itemsPerSecond, 99);
    assert.equal(enrich.backPressuredMs, 0, "nothing below it");
    // parse is fast, but waits for room in enrich's queue most of the time
    assert.ok(parse.backPressuredMs >= 800, `parse back-pressured ${parse.backPressuredMs} ms`);
    assert.ok(parse.utilisation < 0.2, `parse busy ${parse.utilisation}`);
    assert.equal(snap.bottleneck, "enrich");
    const stopped = run.stop({ graceMs: 0 });
    await clock.advance(0);
    await clock.runAll();
    await stopped;
  });

  it("has no bottleneck before any stage was busy, and zero rates at time zero", async () => {
    const clock = new ManualClock();
    const run = pipeline("idle")
      .from([1, 2, 3])
      .map((x: number) => x, { name: "double" })
      .run({ clock });
    const first = run.snapshot();
    assert.equal(first.bottleneck, undefined);
    for (const s of first.stages) {
      assert.equal(s.utilisation, 0);
      assert.equal(s.itemsPerSecond, 0);
      assert.equal(s.backPressuredMs, 0);
    }
    await run;
  });

  it("counts back-pressure once however many waits overlap, on the injected clock", async () => {
    const { BlockedTime } = await import("../../src/stats/BlockedTime.js");
    let now = 0;
    const b = new BlockedTime(() => now);
    b.begin();
    now = 5;
    b.begin();
    now = 8;
    b.end();
    assert.equal(b.totalMs(9), 9, "still blocked: counts up to the reading");
    now = 12;
    b.end();
    b.end(); // an extra end is ignored
    assert.equal(b.totalMs(100), 12);
    assert.equal(b.blocked, false);
  });
});
