import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CycleError, workflow, WorkflowError, type TaskContext } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

describe("dynamic tasks (ctx.add)", () => {
  it("a running task adds tasks that depend on tasks already defined; the run waits for them", async () => {
    const r = await workflow("w")
      .task("list", () => ["a", "b", "c"])
      .task("fan", { after: ["list"] }, (ctx) => {
        const files = ctx.results.list;
        // typed by the builder: results.list is string[] here, no cast
        for (const f of files)
          ctx.add(`parse:${f}`, { after: ["list"] }, ({ results }) => `${f}/${results.list.length}`);
        // names only known at run time go as string[]; their results are unknown
        ctx.add("summary", { after: files.map((f) => `parse:${f}`) }, ({ results }) =>
          Object.keys(results).sort().join(","),
        );
        // a task may name itself (its own result is unknown to its own context)
        ctx.add("after-fan", { after: ["fan"] }, ({ results }) => results.fan);
        return files.length;
      })
      .run();
    assert.equal(r.ok, true);
    assert.equal(r.results.list?.length, 3);
    assert.equal(r.tasks["parse:b"]?.result, "b/3");
    assert.equal(r.tasks["parse:b"]?.addedBy, "fan");
    assert.equal(r.tasks.summary?.result, "parse:a,parse:b,parse:c");
    assert.equal(r.tasks["after-fan"]?.result, 3);
    assert.equal(r.snapshot.size, 7);
    assert.equal(r.counts.completed, 7);
  });

  it("validates added tasks: duplicates, unknown dependencies, self-cycles, bad options", async () => {
    const errors: unknown[] = [];
    const attempt = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    };
    await workflow("w")
      .task("a", () => 1)
      .task("b", { after: ["a"] }, (ctx) => {
        attempt(() => ctx.add("a", () => 0));
        // untyped callers are checked at run time too
        // @ts-expect-error: "nope" is not a task the builder knows
        attempt(() => ctx.add("x", { after: ["nope"] }, () => 0));
        // @ts-expect-error: "y" is not a task the builder knows
        attempt(() => ctx.add("y", { after: ["y"] }, () => 0));
        attempt(() => ctx.add("z", { retry: -1 }, () => 0));
      })
      .run();
    assert.equal(errors.length, 4);
    assert.ok(errors[0] instanceof WorkflowError && errors[0].code === "WEIR_DUPLICATE_NAME");
    assert.ok(errors[1] instanceof WorkflowError && errors[1].code === "WEIR_WORKFLOW_INVALID");
    assert.ok(errors[2] instanceof CycleError && errors[2].cycle.includes("y"));
    assert.equal((errors[3] as WorkflowError).code, "WEIR_INVALID_OPTION");
  });

  it("a task added after a failed dependency is skipped at once", async () => {
    const r = await workflow("w")
      .task("bad", () => {
        throw new Error("x");
      })
      .task("other", () => 1)
      .task("adder", { after: ["other"] }, (ctx) => ctx.add("late", { after: ["bad"] }, () => 2))
      .run({ concurrency: 1 });
    assert.equal(r.tasks.late?.status, "skipped");
    assert.equal(r.tasks.late?.skippedBecause, "bad");
  });

  it("only a running attempt can add: a kept ctx is refused once its task ended, and an earlier attempt's once it was retried", async () => {
    const clock = new ManualClock();
    const hold = deferred();
    const second = deferred();
    const ctxs: TaskContext[] = [];
    const run = workflow("w")
      .task("done", (ctx) => void ctxs.push(ctx))
      .task("flaky", { retry: { attempts: 2, baseMs: 10, jitter: 0 } }, async (ctx) => {
        ctxs.push(ctx);
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        await second.promise;
      })
      .task("slow", { timeoutMs: 100 }, (ctx) => {
        ctxs.push(ctx);
        return hold.promise; // ignores its signal: its attempt is abandoned at the timeout
      })
      .task("keep", () => hold.promise)
      .run({ clock });
    await turns(2);
    await clock.advance(100); // flaky's retry starts after its backoff, slow times out
    await turns(2);
    const [done, flaky1, slow, flaky2] = ctxs;
    assert.equal(run.snapshot().task("done")?.status, "completed");
    assert.equal(flaky2?.attempt, 2);
    const refused = (ctx: TaskContext | undefined, name: string): void =>
      assert.throws(
        () => ctx?.add(name, () => 1),
        (e: unknown) => e instanceof WorkflowError && e.code === "WEIR_WORKFLOW_INVALID" && /has ended/.test(e.message),
      );
    refused(done, "from-done");
    refused(flaky1, "from-flaky-1");
    refused(slow, "from-slow");
    flaky2?.add("from-flaky-2", () => 2); // the current attempt still can
    second.resolve();
    await turns(2);
    refused(flaky2, "from-flaky-2-after");
    hold.resolve();
    const r = await run;
    assert.deepEqual(Object.keys(r.tasks).sort(), ["done", "flaky", "from-flaky-2", "keep", "slow"]);
    assert.equal(r.tasks["from-flaky-2"]?.result, 2);
    assert.equal(r.tasks.slow?.status, "failed");
  });

  it("bounds how many tasks a run may add", async () => {
    let refused: unknown;
    await workflow("w")
      .task("fan", (ctx) => {
        try {
          for (let i = 0; ; i++) ctx.add(`t${i}`, () => i);
        } catch (e) {
          refused = e;
        }
      })
      .run({ maxAddedTasks: 10 });
    assert.ok(refused instanceof WorkflowError && /maxAddedTasks \(10\)/.test(refused.message));
  });

  it("an added task is scheduled under the cap with its priority", async () => {
    const order: string[] = [];
    await workflow("w")
      .task("root", (ctx) => {
        ctx.add("low", { after: ["root"] }, () => void order.push("low"));
        ctx.add("high", { after: ["root"], priority: 9 }, () => void order.push("high"));
      })
      .run({ concurrency: 1 });
    assert.deepEqual(order, ["high", "low"]);
  });

  it("added tasks raise the remaining path of their pending ancestors: a dynamic critical path goes first", async () => {
    const order: string[] = [];
    const log = (name: string) => (): void => void order.push(name);
    const r = await workflow("w")
      .task("adder", { priority: 1 }, (ctx) => {
        order.push("adder");
        // tasks defined later in the builder, or added at run time, are named as plain strings
        const c1: string = "c1";
        const c2: string = "c2";
        ctx.add("c2", { after: [c1] }, log("c2"));
        ctx.add("c3", { after: [c2] }, log("c3"));
      })
      .task("s", log("s"))
      .task("c1", log("c1"))
      .run({ concurrency: 1 });
    assert.equal(r.ok, true);
    // s and c1 were queued with remaining path 1 each (s first by definition order); c1 now heads
    // c1 → c2 → c3, so it goes first; then c2 (2) before s (1); s and c3 tie, definition order
    assert.deepEqual(order, ["adder", "c1", "c2", "s", "c3"]);
  });

  it("the raise reaches ancestors that are not ready yet, and the queued task above them", async () => {
    const order: string[] = [];
    const log = (name: string) => (): void => void order.push(name);
    const r = await workflow("w")
      .task("adder", { priority: 1 }, (ctx) => {
        order.push("adder");
        const p: string = "p";
        const x: string = "x";
        ctx.add("x", { after: [p] }, log("x"));
        ctx.add("y", { after: [x] }, log("y"));
      })
      .task("s", log("s"))
      .task("s2", { after: ["s"] }, log("s2"))
      .task("g", log("g"))
      .task("p", { after: ["g"] }, log("p"))
      .run({ concurrency: 1 });
    assert.equal(r.ok, true);
    // g → p → x → y is now the longest path (4) against s → s2 (2)
    assert.deepEqual(order, ["adder", "g", "p", "s", "x", "s2", "y"]);
  });
});
