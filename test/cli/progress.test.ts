import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProgressView } from "../../src/cli/ProgressView.js";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

describe("ProgressView", () => {
  it("renders per-stage items/s since the previous frame, in flight, queue and errors", async () => {
    const clock = new ManualClock();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("view")
      .from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        async (x) => {
          if (x >= 50) await gate;
          return x;
        },
        { name: "work", concurrency: 4, capacity: 10 },
      )
      .run({ clock });
    const view = new ProgressView();
    await clock.advance(0);
    view.render(run.snapshot());
    await clock.advance(1000);
    const lines = view.render(run.snapshot());
    assert.match(lines[0]!, /^view\s+running\s+1\.0s\s+source/);
    assert.match(lines[1]!, /stage\s+ctx\s+in\s+out\s+items\/s\s+in flight\s+queue\s+errors/);
    const work = lines.find((l) => l.startsWith("work"))!;
    const cells = work.trim().split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 2), ["work", "async"]);
    assert.equal(cells[5], "4", "in flight");
    assert.equal(cells[6], "10", "queue depth");
    assert.equal(cells[4], "0", "nothing finished in the last second");
    release();
    await run;
  });

  it("shows each stage's busy share between frames and names the bottleneck", async () => {
    const clock = new ManualClock();
    const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(r, ms));
    const run = pipeline("view-busy")
      .from(Array.from({ length: 500 }, (_, i) => i))
      .map(
        async (x: number) => {
          await sleep(10);
          return x;
        },
        { name: "slow", concurrency: 1 },
      )
      .run({ clock });
    const view = new ProgressView();
    await clock.advance(0);
    view.render(run.snapshot());
    for (let t = 0; t < 1000; t++) await clock.advance(1);
    const lines = view.render(run.snapshot());
    assert.match(lines[0]!, /bottleneck slow$/);
    assert.match(lines[1]!, /errors\s+busy$/);
    const slow = lines
      .find((l) => l.startsWith("slow"))!
      .trim()
      .split(/\s{2,}/);
    assert.equal(slow[8], "100%", "busy the whole second");
    assert.equal(slow[4], "100", "10 ms an item: 100 items/s");
    const stopped = run.stop({ graceMs: 0 });
    await clock.runAll();
    await stopped;
  });
});
