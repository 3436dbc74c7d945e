import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { pipeline, CancelledError } from "../../src/index.js";
import { turns, warningsDuring } from "../helpers.js";

const leakWarning = (w: Error): boolean => w.name === "MaxListenersExceededWarning";

describe("runs sharing one AbortSignal", () => {
  it("100 concurrent runs add one listener to it between them (no MaxListenersExceededWarning), none once they end", async () => {
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const warnings = await warningsDuring(async () => {
      const runs = Array.from({ length: 100 }, (_, i) =>
        pipeline(`p${i}`)
          .from([1, 2, 3])
          .map(async (x) => {
            await gate;
            return x;
          })
          .to(() => {})
          .run({ signal: ac.signal }),
      );
      await turns(3);
      assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener for 100 runs");
      release();
      await Promise.all(runs);
    });
    assert.deepEqual(warnings.filter(leakWarning), []);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0, "removed when the last run ended");
  });

  it("aborting it cancels every run sharing it, and leaves no listener", async () => {
    const ac = new AbortController();
    const warnings = await warningsDuring(async () => {
      const runs = Array.from({ length: 100 }, (_, i) =>
        pipeline(`p${i}`)
          .from(function* () {
            for (let k = 0; ; k++) yield k;
          })
          .map(async () => new Promise<void>(() => {}), { concurrency: 2 })
          .run({ signal: ac.signal }),
      );
      await turns(3);
      ac.abort(new Error("shutting down"));
      const settled = await Promise.allSettled(runs);
      assert.ok(
        settled.every((s) => s.status === "rejected" && s.reason instanceof CancelledError),
        "every run was cancelled",
      );
    });
    assert.deepEqual(warnings.filter(leakWarning), []);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  it("runs that come and go on a long-lived signal leave nothing behind, whatever way they end", async () => {
    const ac = new AbortController();
    for (let round = 0; round < 20; round++) {
      const ok = pipeline("ok")
        .from([1])
        .to(() => {})
        .run({ signal: ac.signal });
      const failed = pipeline("failed")
        .from([1])
        .map(() => {
          throw new Error("bad");
        })
        .run({ signal: ac.signal });
      const stopped = pipeline("stopped")
        .from(function* () {
          for (let k = 0; ; k++) yield k;
        })
        .to(async () => {})
        .run({ signal: ac.signal });
      const setupFailed = pipeline("setup")
        .from(() => 42 as never)
        .run({ signal: ac.signal });
      await turns(1);
      await Promise.allSettled([ok, failed, stopped.stop(), setupFailed]);
      assert.equal(getEventListeners(ac.signal, "abort").length, 0, `round ${round}`);
    }
  });

  it("a pipeline of many stages adds one listener to its own signal (no warning for 30 async stages)", async () => {
    const warnings = await warningsDuring(async () => {
      let s = pipeline("long").from([1, 2, 3]);
      for (let i = 0; i < 30; i++) s = s.map(async (x: number) => x + 1, { name: `s${i}` });
      const run = s.to(() => {}).run();
      await turns(2);
      assert.ok(getEventListeners(run.signal, "abort").length <= 2);
      await run;
    });
    assert.deepEqual(warnings.filter(leakWarning), []);
  });
});
