import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, merge, CycleError, InvalidPipelineError, StageError, formatPlan } from "../../src/index.js";
import { turns } from "../helpers.js";

describe("graph: fan-out, routes, merges", () => {
  it("broadcasts to several branches; each sees every item", async () => {
    const a: number[] = [];
    const b: number[] = [];
    const src = pipeline("p")
      .from([1, 2, 3])
      .map((x) => x * 10);
    src.map((x) => x + 1).to((x) => void a.push(x));
    const sink = src
      .map(
        async (x) => {
          await turns(2);
          return x + 2;
        },
        { concurrency: 2 },
      )
      .to((x) => void b.push(x));
    await sink.run();
    assert.deepEqual(a, [11, 21, 31]);
    assert.deepEqual(b, [12, 22, 32]);
  });

  it("routes each item to one branch by key", async () => {
    const small: number[] = [];
    const large: number[] = [];
    const { s, l } = pipeline("p")
      .from([1, 50, 2, 70])
      .route((x) => (x < 10 ? "s" : "l"), ["s", "l"], { name: "size" });
    s.to((x) => void small.push(x));
    const r = await l.to((x) => void large.push(x)).run();
    assert.deepEqual(small, [1, 2]);
    assert.deepEqual(large, [50, 70]);
    assert.deepEqual([r.stats.size!.in, r.stats.size!.out], [4, 4]);
  });

  it("an unknown route key fails the item under the route's onError", async () => {
    const { a } = pipeline("p")
      .from(["a", "zz"])
      .route((x) => x as "a", ["a"], { name: "r" });
    await assert.rejects(
      a.to(() => {}).run(),
      (e: unknown) => e instanceof StageError && e.stage === "r" && /"zz" is not one of "a"/.test(e.message),
    );
  });

  it("merges branches; the merge ends only when every input ended", async () => {
    const src = pipeline("p").from([1, 2, 3, 4]);
    const fast = src.filter((x) => x % 2 === 0).map((x) => `even ${x}`);
    const slow = src
      .filter((x) => x % 2 === 1)
      .map(async (x) => {
        await turns(5);
        return `odd ${x}`;
      });
    const got: string[] = [];
    const r = await merge([fast, slow], "both")
      .to((x) => void got.push(x))
      .run();
    assert.deepEqual(got.sort(), ["even 2", "even 4", "odd 1", "odd 3"]);
    assert.equal(r.stats.both!.in, 4);
  });

  it("rejects a cycle when it is defined, naming the edge", () => {
    const src = pipeline("p").from([1]);
    const loop = merge([src], "loop");
    const back = loop.map((x) => x, { name: "again" });
    assert.throws(
      () => back.into(loop),
      (e: unknown) => e instanceof CycleError && e.code === "WEIR_CYCLE" && /"again" -> "loop"/.test(e.message),
    );
  });

  it("rejects duplicate stage names", () => {
    const src = pipeline("p")
      .from([1])
      .map((x) => x, { name: "a" });
    assert.throws(
      () => src.map((x) => x, { name: "a" }),
      (e: unknown) =>
        e instanceof InvalidPipelineError &&
        e.code === "WEIR_DUPLICATE_NAME" &&
        /duplicate stage name "a"/.test(e.message),
    );
  });

  it("names stages after their function when it has a name", () => {
    function parse(x: number): number {
      return x;
    }
    const plan = pipeline("p").from([1]).map(parse).map(parse).plan();
    assert.deepEqual(
      plan.stages.map((s) => s.name),
      ["source", "parse", "map-1"],
    );
  });
});

describe("plan", () => {
  it("fuses runs of synchronous inline stages and explains every decision", () => {
    const p = pipeline("p")
      .from([1])
      .map((x) => x, { name: "a" })
      .filter(() => true, { name: "b" })
      .map(async (x) => x, { name: "c", concurrency: 8 })
      .map((x) => x, { name: "d" })
      .batch({ size: 10, name: "e" })
      .to(() => {}, { name: "f" });
    const plan = p.plan();
    assert.deepEqual(
      plan.steps.map((s) => [s.head, ...s.fused]),
      [
        ["source", "a", "b"],
        ["c", "d"],
        ["e", "f"],
      ],
    );
    const reason = Object.fromEntries(plan.stages.map((s) => [s.name, s.reason]));
    assert.match(reason.c!, /async function, concurrency 8/);
    assert.match(reason.d!, /fused after "c"/);
    assert.equal(plan.steps[1]!.input!.capacity, 64);
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan, "plain data");
    assert.ok(Object.isFrozen(plan.steps[0]));
    assert.match(formatPlan(plan), /step 1 \[async, concurrency 8\]/);
  });

  it("does not fuse across a fan-out, and gives retry/timeout/priority stages their own step", () => {
    const src = pipeline("p").from([1]);
    src.map((x) => x, { name: "left" });
    src.map((x) => x, { name: "right", retry: 3 });
    const plan = src.map((x) => x, { name: "third", timeoutMs: 10 }).plan();
    const byName = Object.fromEntries(plan.stages.map((s) => [s.name, s]));
    assert.equal(byName.left!.fused, false);
    assert.match(byName.left!.reason, /fans out/);
    assert.match(byName.right!.reason, /retry \(3 attempts\)/);
    assert.match(byName.third!.reason, /timeoutMs 10/);
  });
});
