import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow, InvalidOptionError, type WorkflowResult } from "../../src/index.js";

/** The names Object.prototype already answers to: each must be a task like any other. */
const inherited = ["constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "toLocaleString"];

describe("workflow task names that are Object.prototype's", () => {
  it('"__proto__" is refused with a coded error naming it, when built and when added at run time', async () => {
    assert.throws(
      () => workflow("w").task("__proto__", () => 1),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.code === "WEIR_INVALID_OPTION" &&
        e.option === "task name" &&
        /workflow "w".*"__proto__"/.test(e.message),
    );
    assert.throws(
      () => workflow("w").tasks([{ name: "__proto__", run: () => 1 }]),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "task name",
    );
    // a dynamic task: the adding task fails with the same error, its dependents are skipped
    const r = await workflow("w")
      .task("adder", (ctx) => ctx.add("__proto__", () => 1))
      .run();
    assert.equal(r.state, "failed");
    assert.ok(r.tasks.adder?.error instanceof InvalidOptionError);
    assert.equal(Object.keys(r.tasks).includes("__proto__"), false);
  });

  for (const name of inherited) {
    it(`a task named "${name}": its dependent receives its result, and the run's result lists it`, async () => {
      const seen: unknown[] = [];
      const r: WorkflowResult = await workflow("w")
        .task(name, () => `${name} result`)
        .task("dep", { after: [name] }, ({ results }) => {
          seen.push(results[name]);
          return Object.keys(results);
        })
        .run();
      assert.equal(r.state, "completed", String(r.error));
      assert.deepEqual(seen, [`${name} result`]);
      assert.deepEqual(r.results.dep, [name]);
      assert.equal(r.results[name], `${name} result`);
      assert.equal(r.tasks[name]?.status, "completed");
      assert.deepEqual(Object.keys(r.results).sort(), ["dep", name].sort());
      assert.equal(r.snapshot.task(name)?.result, `${name} result`);
    });
  }

  it("a result for a task that did not complete is undefined, not an Object.prototype member", async () => {
    const r = await workflow("w")
      .task("constructor", () => {
        throw new Error("broke");
      })
      .task("toString", { after: ["constructor"] }, () => 1)
      .run();
    assert.equal(r.state, "failed");
    assert.equal(r.results.constructor, undefined);
    assert.equal(r.results.toString, undefined);
    assert.equal(r.tasks.toString?.status, "skipped");
    assert.equal(r.tasks.hasOwnProperty, undefined);
  });

  it('errors of dependencies that failed under "continue" are keyed the same way', async () => {
    let errors: Readonly<Record<string, unknown>> = {};
    let results: Readonly<Record<string, unknown>> = {};
    const r = await workflow("w")
      .task("valueOf", { onFailure: "continue" }, () => {
        throw new Error("valueOf broke");
      })
      .task("after", { after: ["valueOf"] }, (ctx) => {
        errors = ctx.errors;
        results = ctx.results;
        return "ran";
      })
      .run();
    assert.equal(r.results.after, "ran");
    // (typed as Object.prototype's member, so read through Reflect)
    assert.match(String((Reflect.get(errors, "valueOf") as Error).message), /valueOf broke/);
    assert.equal(Reflect.get(results, "valueOf"), undefined);
    assert.ok(Object.keys(results).includes("valueOf"));
  });

  it("a rerun with reuse keeps the results of such tasks", async () => {
    let runs = 0;
    const wf = workflow("w")
      .task("constructor", () => {
        runs++;
        return 7;
      })
      .task("hasOwnProperty", { after: ["constructor"] }, ({ results }) => (results.constructor as number) * 2);
    const first = await wf.run();
    const second = await wf.run({ reuse: first });
    assert.equal(runs, 1);
    assert.equal(second.results.hasOwnProperty, 14);
    assert.equal(second.results.constructor, 7);
  });
});
