import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline, CancelledError, STOP_GRACE_MS, type RunEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Outcome {
  code: number | null;
  result: { stopped: boolean; abandoned: number; sourceItems: number; lowWatermark: number; delivered: number };
}

/** Starts the fixture service, sends it a real SIGTERM once items flow, and waits for it to exit. */
async function sigterm(env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/faults/stop-on-sigterm.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes("READY")) resolve();
    });
    void exited.then(() => reject(new Error(`exited before READY: ${stderr}`)));
  });
  child.kill("SIGTERM");
  const hang = setTimeout(() => child.kill("SIGKILL"), 60_000); // a hang guard, not a timing claim
  const code = await exited;
  clearTimeout(hang);
  assert.notEqual(code, null, `killed by the hang guard: ${stderr}`);
  return { code, result: JSON.parse(stdout) as Outcome["result"] };
}

describe("stop() has a bounded grace", () => {
  it("by default 25 s: an item that never settles is aborted then, and the run resolves saying what it abandoned", async () => {
    assert.equal(STOP_GRACE_MS, 25_000);
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const run = pipeline("p")
      .from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        (x, ctx) => {
          signals.push(ctx.signal);
          return new Promise<number>((resolve) => {
            if (x !== 0) clock.setTimer(() => resolve(x), 10); // item 0 never settles
          });
        },
        { concurrency: 4, capacity: 8, name: "call" },
      )
      .to(() => {}, { name: "sink" })
      .run({ clock });
    await clock.advance(100);
    const ends: RunEvents["run:end"][] = [];
    run.on("run:end", (e) => void ends.push(e));
    const stopped = run.stop();
    await clock.advance(STOP_GRACE_MS - 1);
    assert.equal(run.snapshot().state, "stopping", "still draining just before the grace ends");
    await clock.advance(1);
    const r = await stopped;
    // ordered: item 0 in flight holds 1-7 in the reorder window, and 8 more wait in the channel
    assert.equal(r.stopped, true);
    assert.equal(r.sourceItems, 16);
    assert.equal(r.abandoned, 16, "1 in flight + 7 in the reorder window + 8 queued");
    assert.equal(r.lowWatermark, 0);
    assert.equal(r.stats.sink!.in, 0);
    assert.equal(run.snapshot().state, "cancelled");
    assert.equal(signals[0]!.aborted, true, "the stuck item's ctx.signal aborted");
    assert.ok(signals[0]!.reason instanceof CancelledError);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.ok, false);
    assert.match((ends[0]!.error as Error).message, /stop grace of 25000 ms ran out; 16 items abandoned/);
  });

  it("a stop that drains within its grace abandons nothing, and leaves no timer", async () => {
    const clock = new ManualClock();
    const run = pipeline("p")
      .from(function* () {
        for (let i = 0; ; i++) yield i;
      })
      .map((x) => new Promise<number>((resolve) => clock.setTimer(() => resolve(x), 10)), { concurrency: 4 })
      .to(() => {})
      .run({ clock });
    await clock.advance(50);
    const stopped = run.stop();
    await clock.runAll();
    const r = await stopped;
    assert.deepEqual([r.stopped, r.abandoned, r.lowWatermark], [true, 0, r.sourceItems]);
    assert.ok(clock.now() < 50 + STOP_GRACE_MS);
    assert.equal(clock.pendingTimers, 0, "the grace timer was cancelled");
    assert.equal(run.snapshot().state, "completed");
  });

  it("a failure or a cancellation during the grace still rejects (abandoning is only for the grace running out)", async () => {
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("p")
      .from(function* () {
        for (let i = 0; ; i++) yield i;
      })
      .map(async () => gate, { concurrency: 2 })
      .run({ signal: ac.signal });
    await new Promise((r) => setImmediate(r));
    const stopped = run.stop({ graceMs: 60_000 });
    ac.abort(new Error("shutdown now"));
    release();
    await assert.rejects(stopped, (e: unknown) => e instanceof CancelledError && /shutdown now/.test(e.message));
  });

  it("a real SIGTERM: a stuck item is abandoned after the grace and the process exits non-zero on its own", async () => {
    const { code, result } = await sigterm({ WEIR_FIXTURE_STUCK: "1", WEIR_FIXTURE_GRACE_MS: "300" });
    assert.equal(code, 3, "the service exits non-zero: work was abandoned");
    assert.equal(result.stopped, true);
    assert.ok(result.abandoned >= 1, `abandoned ${result.abandoned}`);
    assert.equal(result.lowWatermark, 3, "item 3 never finished: the watermark stays below it");
    assert.ok(result.sourceItems > 3);
  });

  it("a real SIGTERM with nothing stuck: everything pulled drains, exit 0", async () => {
    const { code, result } = await sigterm({ WEIR_FIXTURE_GRACE_MS: "60000" });
    assert.equal(code, 0);
    assert.deepEqual([result.stopped, result.abandoned], [true, 0]);
    assert.equal(result.lowWatermark, result.sourceItems);
    assert.equal(result.delivered, result.sourceItems, "nothing read was lost");
  });
});
