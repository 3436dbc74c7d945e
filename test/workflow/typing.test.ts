// Type-level tests: this file must typecheck (`tsc --noEmit`); the `@ts-expect-error` lines must
// be errors. The runtime part only checks that the typed workflow runs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow, type TaskContext } from "../../src/index.js";

/** Compiles only when `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok?: T): void {}

const wf = workflow("typed")
  .task("extract", async () => [1, 2, 3])
  .task("schema", () => ({ columns: ["a", "b"] as const }))
  .task("transform", { after: ["extract", "schema"] }, ({ results }) => {
    expectType<Equals<typeof results.extract, number[]>>();
    expectType<Equals<typeof results.schema, { columns: readonly ["a", "b"] }>>();
    // @ts-expect-error: "load" is not a dependency of "transform"
    void results.load;
    return results.extract.map(String);
  })
  .task("maybe", { after: ["transform"], onFailure: "continue" }, ({ results }) => results.transform.length)
  .task("load", { after: ["transform", "maybe"] }, ({ results }) => {
    expectType<Equals<typeof results.transform, string[]>>();
    // a dependency that may fail under "continue" is seen as possibly undefined
    expectType<Equals<typeof results.maybe, number | undefined>>();
    return results.maybe !== undefined;
  })
  .task("done", { after: ["load"] }, () => true as const);
const unused = workflow("x")
  .task("a", () => 1)
  .task("b", { after: ["a"] }, ({ results }) => {
    expectType<Equals<typeof results, { readonly a: number }>>();
    return results.a > 0;
  });

// Both are caught by the types and, for untyped callers, at run time where they are written.
const unknownDep = (): unknown =>
  workflow("bad")
    .task("a", () => 1)
    // @ts-expect-error: unknown dependency
    .task("b", { after: ["nope"] }, () => 2);
const duplicate = (): unknown =>
  workflow("dup")
    .task("a", () => 1)
    // @ts-expect-error: duplicate name
    .task("a", () => 2);

// Dynamic tasks: ctx.add() is typed against the tasks the builder knew where the adding task is
// defined (the tasks before it, and itself with its result unknown).
const dynamic = workflow("dyn")
  .task("extract", () => [1, 2, 3])
  .task("schema", () => ({ columns: ["a", "b"] as const }))
  .task("fan", { after: ["extract"] }, (ctx) => {
    for (const n of ctx.results.extract) {
      ctx.add(`row:${n}`, { after: ["extract", "schema"] }, ({ results, add }) => {
        expectType<Equals<typeof results.extract, number[]>>();
        expectType<Equals<typeof results.schema, { columns: readonly ["a", "b"] }>>();
        // @ts-expect-error: "fan" is not a dependency of this added task
        void results.fan;
        void add; // an added task's ctx.add is typed against the same map
        return results.schema.columns.length * n;
      });
    }
    // the adding task itself is known, its result unknown (it is still being inferred)
    ctx.add("self", { after: ["fan"] }, ({ results }) => {
      expectType<Equals<typeof results.fan, unknown>>();
      return results.fan;
    });
    // names known only at run time go as string[]: any name, results unknown
    ctx.add("rows", { after: ctx.results.extract.map((n) => `row:${n}`) }, ({ results }) => {
      expectType<Equals<typeof results, Readonly<Record<string, unknown>>>>();
      return Object.keys(results).length;
    });
    // an unknown name is a type error (and, for untyped callers, a WorkflowError at run time)
    assert.throws(
      // @ts-expect-error: unknown dependency name in ctx.add
      () => ctx.add("bad", { after: ["nope"] }, () => 0),
      { code: "WEIR_WORKFLOW_INVALID" },
    );
    // @ts-expect-error: "late" is defined after "fan": the builder did not know it there
    ctx.add("late-ok", { after: ["late"] }, () => 0);
    return ctx.results.extract.length;
  })
  .task("late", () => 0);

// the context is typed without casts
const ctxType = (ctx: TaskContext<{ a: number }>): number => ctx.results.a + ctx.attempt;
void ctxType;

describe("typed builder", () => {
  it("runs, and the result's results are typed by task", async () => {
    const r = await wf.run();
    expectType<Equals<typeof r.results.transform, string[] | undefined>>();
    expectType<Equals<typeof r.results.load, boolean | undefined>>();
    expectType<Equals<NonNullable<typeof r.tasks.done>["result"], true | undefined>>();
    assert.equal(unused.size, 2);
    assert.equal(r.ok, true);
    assert.deepEqual(r.results.transform, ["1", "2", "3"]);
    assert.equal(r.results.maybe, 3);
    assert.equal(r.results.load, true);
    assert.equal(r.tasks.done?.result, true);
    // only takes typed task names
    // @ts-expect-error: not a task of this workflow
    assert.throws(() => wf.run({ only: ["nope"] }));
    assert.throws(unknownDep, { code: "WEIR_WORKFLOW_INVALID" });
    assert.throws(duplicate, { code: "WEIR_DUPLICATE_NAME" });
  });

  it("dynamic tasks run with the results the builder typed", async () => {
    const r = await dynamic.run();
    assert.equal(r.tasks["row:3"]?.result, 6);
    assert.equal(r.tasks.self?.result, 3);
    assert.equal(r.tasks.rows?.result, 3);
    assert.equal(r.tasks.bad, undefined, "refused at run time too");
    // "late" exists in the run, so the add works at run time: only its type was refused
    assert.equal(r.tasks["late-ok"]?.status, "completed");
    assert.equal(r.ok, true);
  });
});
