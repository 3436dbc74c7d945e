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
});
