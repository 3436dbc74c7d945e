import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { holdMainLoopDelay, mainLoopDelayMs } from "../../src/time/mainLoopDelay.js";

/** Keeps the main loop busy for `ms` (what a CPU-bound inline stage does). */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe("mainLoopDelayMs (monitorEventLoopDelay on the main thread)", () => {
  it("is 0 while nothing holds the monitor, a finite non-negative number while something does", async () => {
    assert.equal(mainLoopDelayMs(), 0);
    const release = holdMainLoopDelay();
    await sleep(250); // a few folds of an idle loop
    const idle = mainLoopDelayMs();
    assert.ok(Number.isFinite(idle) && idle >= 0, String(idle));
    release();
    assert.equal(mainLoopDelayMs(), 0);
  });

  it("counts a block building up now, before the loop is free to sample it", () => {
    const release = holdMainLoopDelay();
    // the fold runs every 100 ms, so 400 ms without yielding leaves it at least 300 ms behind
    block(400);
    const blocked = mainLoopDelayMs();
    release();
    assert.ok(blocked >= 200, `a 400 ms block read as ${blocked} ms`);
  });

  it("keeps the average of a loop that was blocked, after it is free again", async () => {
    const release = holdMainLoopDelay();
    await sleep(150);
    for (let i = 0; i < 3; i++) {
      block(150);
      await sleep(0); // the histogram's timer and the fold get to run between blocks
    }
    await sleep(120); // at least one fold after the blocks
    const after = mainLoopDelayMs();
    release();
    assert.ok(after > 0, `after three 150 ms blocks the delay read ${after} ms`);
  });

  it("is one monitor for every holder: it measures until the last one lets go", () => {
    const a = holdMainLoopDelay();
    const b = holdMainLoopDelay();
    a();
    a(); // a second release of the same hold counts once
    block(300);
    assert.ok(mainLoopDelayMs() > 0);
    b();
    assert.equal(mainLoopDelayMs(), 0);
  });
});
