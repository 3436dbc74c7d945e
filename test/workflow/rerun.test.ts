import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InvalidOptionError, workflow } from "../../src/index.js";
import { keepAliveHolders } from "../../src/time/keepAlive.js";

describe("reuse and only", () => {
  it("reuse re-runs only failed, skipped and cancelled tasks and their descendants", async () => {
    const calls: Record<string, number> = {};
    let fail = true;
    const count = (name: string): void => void (calls[name] = (calls[name] ?? 0) + 1);
    //  a ─▶ b(fails once) ─▶ c ─▶ d        e (independent)
    //  a ─────────────────────▶ d
    const wf = workflow("w")
      .task("a", () => (count("a"), 1))
      .task("b", { after: ["a"] }, ({ results }) => {
        count("b");
        if (fail) throw new Error("first time");
        return results.a + 1;
      })
      .task("c", { after: ["b"] }, ({ results }) => (count("c"), results.b * 10))
      .task("d", { after: ["a", "c"] }, ({ results }) => (count("d"), results.a + results.c))
      .task("e", () => (count("e"), "e"));
    const first = await wf.run();
    assert.equal(first.ok, false);
    assert.deepEqual(calls, { a: 1, b: 1, e: 1 });
    fail = false;
    const second = await wf.run({ reuse: first });
    assert.equal(second.ok, true);
    assert.deepEqual(calls, { a: 1, b: 2, c: 1, d: 1, e: 1 }, "a and e were not run again");
    assert.equal(second.tasks.a?.reused, true);
    assert.equal(second.tasks.a?.result, 1);
    assert.equal(second.tasks.b?.reused, false);
    assert.equal(second.results.d, 21);
    const third = await wf.run({ reuse: second.snapshot });
    assert.equal(third.ok, true);
    assert.deepEqual(calls, { a: 1, b: 2, c: 1, d: 1, e: 1 }, "nothing left to do");
  });

  it("reuse re-runs descendants that completed under onFailure: continue", async () => {
    let fail = true;
    let downstream = 0;
    const wf = workflow("w")
      .task("flaky", { onFailure: "continue" }, () => {
        if (fail) throw new Error("x");
        return 5;
      })
      .task("after", { after: ["flaky"] }, ({ results }) => (downstream++, results.flaky ?? 0));
    const first = await wf.run();
    assert.equal(first.results.after, 0);
    fail = false;
    const second = await wf.run({ reuse: first });
    assert.equal(second.results.after, 5);
    assert.equal(downstream, 2);
  });

  it("reuse re-runs a task whose dynamic tasks did not all complete, and carries completed ones over", async () => {
    let failB = true;
    let listed = 0;
    const wf = workflow("w")
      .task("list", (ctx) => {
        listed++;
        ctx.add("item:a", { after: ["list"] }, () => "A");
        ctx.add("item:b", { after: ["list"] }, () => {
          if (failB) throw new Error("b");
          return "B";
        });
      })
      .task("fixed", () => "f")
      .task("spawner", { after: ["fixed"] }, (ctx) => ctx.add("child", { after: ["fixed"] }, () => "c"));
    const first = await wf.run();
    assert.equal(first.tasks["item:b"]?.status, "failed");
    failB = false;
    const second = await wf.run({ reuse: first });
    assert.equal(second.ok, true);
    assert.equal(listed, 2, "the adder ran again and re-added its tasks");
    assert.equal(second.tasks["item:b"]?.result, "B");
    assert.equal(second.tasks.child?.status, "completed", "a completed dynamic task of a reused adder is carried over");
    assert.equal(second.tasks.child?.reused, true);
    assert.equal(second.tasks.child?.addedBy, "spawner");
  });

  it("only runs the targets and their ancestors", async () => {
    const ran: string[] = [];
    const t = (name: string) => (): string => (ran.push(name), name);
    const wf = workflow("w")
      .task("a", t("a"))
      .task("b", { after: ["a"] }, t("b"))
      .task("c", { after: ["a"] }, t("c"))
      .task("report", { after: ["b"] }, t("report"))
      .task("unrelated", t("unrelated"));
    const r = await wf.run({ only: ["report"] });
    assert.equal(r.ok, true);
    assert.deepEqual(ran.sort(), ["a", "b", "report"]);
    assert.equal(r.tasks.c, undefined);
    assert.equal(r.snapshot.size, 3);
  });

  it("only and reuse combine", async () => {
    let aRuns = 0;
    const wf = workflow("w")
      .task("a", () => ++aRuns)
      .task("b", { after: ["a"] }, ({ results }) => results.a * 2)
      .task("c", () => 3);
    const first = await wf.run({ only: ["a"] });
    const second = await wf.run({ only: ["b"], reuse: first });
    assert.equal(aRuns, 1);
    assert.equal(second.results.b, 2);
    assert.equal(second.tasks.c, undefined);
  });

  it("rejects a result or snapshot of another workflow (tasks are matched by name), when the run is made", async () => {
    const nightly = workflow("nightly").task("load", () => "nightly rows");
    const hourly = workflow("hourly").task("load", () => "hourly rows");
    const earlier = await hourly.run();
    assert.throws(
      () => nightly.run({ reuse: earlier }),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.option === "reuse" &&
        /"hourly"/.test(e.message) &&
        /workflow "nightly"/.test(e.message),
    );
    assert.throws(() => nightly.run({ reuse: earlier.snapshot }), { code: "WEIR_INVALID_OPTION" });
    assert.equal(keepAliveHolders(), 0, "a refused run holds nothing");
    // the same workflow's result is fine
    const again = await hourly.run({ reuse: earlier });
    assert.equal(again.tasks.load?.reused, true);
  });
});
