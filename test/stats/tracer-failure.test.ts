import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, workflow, type RunTrace, type RunTracer } from "../../src/index.js";
import { warningsDuring } from "../helpers.js";

/** A tracer that throws from `method` (and records what it heard); the others work. */
function throwingTracer(method: "start" | "stage" | "attempt" | "failed" | "task" | "end"): {
  tracer: RunTracer;
  heard: string[];
} {
  const heard: string[] = [];
  const fail = (name: string): void => {
    heard.push(name);
    if (name === method) throw new Error(`tracer bug in ${name}`);
  };
  const trace: RunTrace = {
    stage: () => {
      fail("stage");
      return { attempt: () => fail("attempt"), failed: () => fail("failed") };
    },
    task: () => fail("task"),
    end: () => fail("end"),
  };
  const tracer: RunTracer = {
    start: () => {
      fail("start");
      return trace;
    },
  };
  return { tracer, heard };
}

describe("a tracer that throws", { timeout: 60_000 }, () => {
  for (const method of ["start", "stage", "attempt", "failed", "end"] as const) {
    it(`in ${method}(): the pipeline run keeps every item, and one warning names the run and the method`, async () => {
      const { tracer, heard } = throwingTracer(method);
      const out: number[] = [];
      const warnings = await warningsDuring(async () => {
        const result = await pipeline<number>("traced")
          .from(Array.from({ length: 50 }, (_, i) => i))
          .map(
            async (x: number) => {
              await Promise.resolve();
              if (x === 7) throw new Error("item 7 fails");
              return x;
            },
            { name: "work", concurrency: 4, onError: "skip" },
          )
          .to((x: number) => void out.push(x))
          .run({ tracer });
        assert.equal(Object.values(result.stats).find((s) => s.name === "work")?.errors, 1);
      });
      assert.deepEqual(
        out,
        Array.from({ length: 50 }, (_, i) => i).filter((x) => x !== 7),
      );
      const ours = warnings.filter((w) => w.code === "WEIR_TRACER_FAILED");
      assert.equal(ours.length, 1, `one warning: ${warnings.map((w) => w.message).join(" | ")}`);
      assert.match(ours[0]!.message, new RegExp(`pipeline "traced" threw in ${method}\\(\\)`));
      assert.match(ours[0]!.message, new RegExp(`tracer bug in ${method}`));
      assert.equal(heard.filter((h) => h === method).length, 1, "after its error the tracer hears no more of it");
      if (method !== "start") assert.equal(heard.at(-1), "end", "the run's trace is still ended");
    });
  }

  it("in task(): the workflow completes, and one warning names it", async () => {
    const { tracer } = throwingTracer("task");
    let result: Awaited<ReturnType<ReturnType<typeof workflow>["run"]>> | undefined;
    const warnings = await warningsDuring(async () => {
      result = await workflow("nightly")
        .task("a", () => 1)
        .task("b", { after: ["a"] }, () => 2)
        .run({ tracer });
    });
    assert.equal(result?.ok, true);
    const ours = warnings.filter((w) => w.code === "WEIR_TRACER_FAILED");
    assert.equal(ours.length, 1);
    assert.match(ours[0]!.message, /workflow "nightly" threw in task\(\)/);
  });
});
