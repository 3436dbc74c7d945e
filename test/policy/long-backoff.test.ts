import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, runtime, workflow } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

/** Fails the first `failures` calls of each item, then returns it. */
function flaky<T>(failures: number): (x: T) => T {
  const seen = new Map<T, number>();
  return (x) => {
    const n = (seen.get(x) ?? 0) + 1;
    seen.set(x, n);
    if (n <= failures) throw new Error(`attempt ${n} of ${String(x)} failed`);
    return x;
  };
}

describe("long backoffs: a baseMs above the default cap raises the cap", () => {
  it("a stage with retry { baseMs: 60_000 } is accepted and waits a minute between attempts", async () => {
    const clock = new ManualClock();
    const run = pipeline<number>("p")
      .from([1])
      .map(flaky<number>(2), { name: "call", retry: { attempts: 3, baseMs: 60_000, jitter: 0 } })
      .run({ clock });
    const delays: number[] = [];
    run.on("stage:retry", (e) => void delays.push(e.delayMs));
    let done = false;
    void run.then(() => (done = true));
    await clock.advance(59_999);
    assert.equal(done, false, "still waiting for the first retry");
    await clock.advance(1);
    await clock.advance(60_000);
    const r = await run;
    assert.deepEqual(delays, [60_000, 60_000], "the cap defaulted to baseMs: no growth past it");
    assert.equal(r.stats.call!.out, 1);
    assert.equal(r.stats.call!.retries, 2);
  });

  it("with a larger maxMs the backoff grows from a long base", async () => {
    const clock = new ManualClock();
    const run = pipeline<number>("p")
      .from([1])
      .map(flaky<number>(3), { name: "call", retry: { attempts: 4, baseMs: 60_000, maxMs: 150_000, jitter: 0 } })
      .run({ clock });
    const delays: number[] = [];
    run.on("stage:retry", (e) => void delays.push(e.delayMs));
    await clock.advance(60_000 + 120_000 + 150_000);
    await run;
    assert.deepEqual(delays, [60_000, 120_000, 150_000]);
  });

  it("a workflow task with retry { baseMs: 45_000 } is accepted and backs off 45 s", async () => {
    const clock = new ManualClock();
    const run = workflow("w")
      .task("fetch", { retry: { attempts: 2, baseMs: 45_000, jitter: 0 } }, ({ attempt }) => {
        if (attempt === 1) throw new Error("first attempt fails");
        return attempt;
      })
      .run({ clock });
    const delays: number[] = [];
    run.on("task:retry", (e) => void delays.push(e.delayMs));
    await clock.advance(45_000);
    const r = await run;
    assert.equal(r.ok, true);
    assert.deepEqual(delays, [45_000]);
  });

  it("a runtime component's start retry accepts a long base too", async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const app = runtime({ clock, healthIntervalMs: 0 }).component("db", {
      retry: { attempts: 2, baseMs: 40_000, jitter: 0 },
      start: () => {
        if (++attempts === 1) throw new Error("not yet");
        return "db";
      },
    });
    const starting = app.start();
    await clock.advance(40_000);
    const report = await starting;
    assert.equal(report.components.db?.attempts, 2);
    await app.stop();
  });

  it("an explicit maxMs below baseMs is still an error, naming both", () => {
    assert.throws(
      () =>
        pipeline<number>("p")
          .from([1])
          .map((x) => x, { name: "call", retry: { baseMs: 60_000, maxMs: 30_000 } }),
      (e: unknown) => {
        const err = e as { code: string; option: string; expected: string; received: unknown };
        assert.equal(err.code, "WEIR_INVALID_OPTION");
        assert.equal(err.option, "retry.maxMs");
        assert.match(err.expected, /retry\.baseMs \(60000\)/);
        assert.equal(err.received, "30000");
        return true;
      },
    );
    assert.throws(() => workflow("w").task("t", { retry: { baseMs: 10_000, maxMs: 5_000 } }, () => 1), {
      code: "WEIR_INVALID_OPTION",
      option: "retry.maxMs",
    });
  });
});
