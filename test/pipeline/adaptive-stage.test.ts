import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { sleep } from "../../src/time/Clock.js";

describe("adaptive concurrency as a stage option, on the injected clock", () => {
  it("settles in a band at the service's overload point (429s above 16 in flight), and reports every move", async () => {
    const clock = new ManualClock();
    const OVERLOAD = 16; // the service answers 429 above this many in flight
    let inFlight = 0;
    let peak = 0;
    let overloads = 0;
    const call = async (x: number): Promise<number> => {
      const n = ++inFlight;
      peak = Math.max(peak, n);
      try {
        await sleep(clock, 10 + 2 * n); // latency grows with load
        if (n > OVERLOAD) {
          overloads++;
          throw Object.assign(new Error("too many requests"), { status: 429 });
        }
        return x;
      } finally {
        inFlight--;
      }
    };
    const moves: Array<{ limit: number; reason: string; at: number }> = [];
    const run = pipeline("p")
      .from(Array.from({ length: 1500 }, (_, i) => i))
      .map(call, {
        name: "api",
        concurrency: { adaptive: true, min: 1, max: 64, initial: 4, targetLatencyMs: 60 },
        onError: "skip",
      })
      .run({ clock });
    run.on("stage:limit", (e) => void moves.push({ limit: e.limit, reason: e.reason, at: clock.now() }));
    let done = false;
    const finished = run.then(() => (done = true));
    while (!done) await clock.advance(5);
    const r = await finished.then(() => run);
    assert.ok(
      moves.some((m) => m.reason === "increase"),
      "it grew",
    );
    assert.ok(
      moves.some((m) => m.reason === "overload"),
      "it backed off on 429s",
    );
    // Once it first met the overload point, it saws between a 0.8 back-off and one past the point.
    const settled = moves.slice(moves.findIndex((m) => m.reason === "overload"));
    assert.ok(settled.length >= 10, `${settled.length} moves after settling`);
    for (const m of settled)
      assert.ok(
        m.limit >= 12 && m.limit <= OVERLOAD + 1,
        `limit ${m.limit} (${m.reason}) at ${m.at} ms outside 12..${OVERLOAD + 1}`,
      );
    assert.ok(peak <= OVERLOAD + 1, `peak in flight ${peak}`);
    assert.ok(overloads / 1500 < 0.25, `${overloads} 429s in 1500 calls`);
    assert.equal(r.stats.api!.out + r.stats.api!.skipped, 1500);
    assert.ok(r.stats.api!.limit >= 10 && r.stats.api!.limit <= OVERLOAD + 1);
  });
});
