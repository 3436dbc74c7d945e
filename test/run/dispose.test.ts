import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, runtime, StageError, type RunResult } from "../../src/index.js";
import { turns } from "../helpers.js";

/** An endless source that counts what was read. */
function counting(read: { n: number }): () => Generator<number> {
  return function* () {
    for (;;) yield read.n++;
  };
}

describe("await using", () => {
  it("a pipeline run still going is stopped when its scope ends (what was pulled drains), and awaited", async () => {
    const read = { n: 0 };
    let delivered = 0;
    let result: RunResult | undefined;
    const run = pipeline<number>("endless")
      .from(counting(read))
      .map(async (x) => x, { concurrency: 4 })
      .to(() => void delivered++)
      .run();
    void run.then((r) => (result = r));
    {
      await using scoped = run;
      await turns(5);
      assert.equal(scoped.snapshot().state, "running");
    }
    assert.equal(run.snapshot().state, "completed", "settled before the scope's end returned");
    await turns(1);
    assert.equal(result?.stopped, true);
    assert.equal(result.abandoned, 0, "the default grace let what was pulled drain");
    assert.equal(delivered, result.sourceItems);
    assert.ok(read.n >= result.sourceItems && result.sourceItems > 0);
  });

  it("a run that failed inside the scope: the scope's error is the run's, dispose adds none", async () => {
    const run = pipeline<number>("fails")
      .from([1, 2, 3])
      .map((x) => {
        if (x === 2) throw new Error("two");
        return x;
      })
      .to(() => {})
      .run();
    await assert.rejects(
      async () => {
        await using scoped = run;
        await scoped;
      },
      (e: unknown) => StageError.is(e) && !("suppressed" in e),
    );
  });

  it("a run that completed is left as it was", async () => {
    const out: number[] = [];
    const run = pipeline<number>("done")
      .from([1, 2])
      .to((x) => void out.push(x))
      .run();
    {
      await using scoped = run;
      const r = await scoped;
      assert.equal(r.stopped, false);
    }
    assert.deepEqual(out, [1, 2]);
    assert.equal((await run).stopped, false);
  });

  it("a runtime is stopped when its scope ends, dependents first, and the scope waits for the stop", async () => {
    const log: string[] = [];
    let app: { readonly state: string } | undefined;
    {
      await using scoped = runtime({ healthIntervalMs: 0 })
        .component("db", { start: () => "db", stop: async () => void log.push("stop db") })
        .component("http", { dependsOn: ["db"], start: () => "http", stop: async () => void log.push("stop http") });
      app = scoped;
      await scoped.start();
      assert.equal(scoped.state, "started");
    }
    assert.deepEqual(log, ["stop http", "stop db"]);
    assert.equal(app.state, "stopped");
  });
});
