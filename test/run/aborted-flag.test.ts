/**
 * A run's `aborted` field (RunScope): what weir's steps check per item in place of
 * `signal.aborted` (src/run/PipelineRun.ts). It must say what the signal says, and say it before
 * any of the signal's listeners runs, on every path that aborts a run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, type Run, type StageContext } from "../../src/index.js";
import type { RunScope } from "../../src/run/RunScope.js";
import { deferred, type Deferred } from "../helpers.js";

/** The run seen as the scope its steps get. */
const scope = (run: Run): RunScope => run as unknown as RunScope;

/** Records, in the signal's first listener, whether the run already said it was aborted. */
function watch(run: Run): { seen: boolean[] } {
  const seen: boolean[] = [];
  assert.equal(scope(run).aborted, false, "not aborted while it runs");
  run.signal.addEventListener("abort", () => seen.push(scope(run).aborted));
  return { seen };
}

/** A stage function whose items run until the run aborts (then resolve): `started` on the first. */
function untilAborted(started: Deferred<void>): (x: number, ctx: StageContext) => Promise<number> {
  return (x, ctx) =>
    new Promise<number>((resolve) => {
      started.resolve();
      ctx.signal.addEventListener("abort", () => resolve(x));
    });
}

describe("a run's aborted field", () => {
  it("stays false through a run that completes", async () => {
    const run = pipeline<number>("ok")
      .from([1, 2, 3])
      .map(async (x) => x)
      .run();
    const { seen } = watch(run);
    await run;
    assert.equal(scope(run).aborted, false);
    assert.equal(run.signal.aborted, false);
    assert.deepEqual(seen, []);
  });

  it("is true before the signal's listeners run when a stage fails the run", async () => {
    const run = pipeline<number>("fails")
      .from([1, 2, 3])
      .map(async (x) => {
        if (x === 2) throw new Error("boom");
        return x;
      })
      .run();
    const { seen } = watch(run);
    await assert.rejects(run);
    assert.deepEqual(seen, [true]);
    assert.equal(scope(run).aborted, true);
  });

  it("is true before the signal's listeners run when the caller's signal cancels the run", async () => {
    const controller = new AbortController();
    const started = deferred();
    const run = pipeline<number>("cancelled")
      .from([1, 2, 3])
      .map(untilAborted(started))
      .run({ signal: controller.signal });
    const { seen } = watch(run);
    await started.promise;
    controller.abort();
    await assert.rejects(run, { code: "WEIR_CANCELLED" });
    assert.deepEqual(seen, [true]);
  });

  it("is true before the signal's listeners run when stop()'s grace runs out", async () => {
    const started = deferred();
    const run = pipeline<number>("cut-short").from([1, 2, 3]).map(untilAborted(started)).run();
    const { seen } = watch(run);
    await started.promise;
    const result = await run.stop({ graceMs: 0 });
    assert.ok(result.abandoned > 0, "items were abandoned");
    assert.deepEqual(seen, [true]);
    assert.equal(run.signal.aborted, true);
  });
});
