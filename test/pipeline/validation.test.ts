import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, merge, InvalidOptionError, InvalidPipelineError, type Stream, type Sink } from "../../src/index.js";
import { PipelineGraph } from "../../src/graph/PipelineGraph.js";

/** Asserts an InvalidOptionError naming `option` and `where` (a stage, route, merge…), thrown by `build`. */
function rejects(build: () => unknown, option: string, where: RegExp): void {
  assert.throws(build, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.code, "WEIR_INVALID_OPTION");
    assert.equal(e.option, option);
    assert.match(e.message, where);
    assert.match(e.message, /expected .*received/);
    return true;
  });
}

describe("options are rejected when the pipeline is defined, not when it is planned or run", () => {
  const p = () => pipeline("p").from([1]);

  it('context: "inline" with an async function, an async generator, concurrency or retry', () => {
    rejects(() => p().map(async (x) => x, { context: "inline", name: "a" }), "context", /stage "a".*async function/);
    async function* expand(x: number): AsyncGenerator<number> {
      yield x;
    }
    rejects(() => p().flatMap(expand, { context: "inline" }), "context", /stage "expand".*async function/);
    rejects(() => p().map((x) => x, { context: "inline", concurrency: 4 }), "context", /stage "map-1".*concurrency 4/);
    rejects(
      () => p().tap(() => {}, { context: "inline", retry: 3, timeoutMs: 10 }),
      "context",
      /retry \(3 attempts\), timeoutMs 10/,
    );
    rejects(() => p().to(() => {}, { context: "inline", priority: () => 1 }), "context", /priority queue/);
  });

  it('context: "inline" with a synchronous function and nothing else is fine', () => {
    const plan = p()
      .map((x) => x + 1, { context: "inline", name: "inc" })
      .plan();
    assert.equal(plan.stages.find((s) => s.name === "inc")!.fused, true);
  });

  it("an error names an anonymous stage by the name it would get, and that name is not used up", () => {
    const s = p().map((x) => x);
    rejects(() => s.map((x) => x, { concurrency: 0 }), "concurrency", /stage "map-2"/);
    rejects(() => s.filter(() => true, { capacity: -1 }), "capacity", /stage "filter-1"/);
    rejects(() => s.batch({ size: 0 }), "size", /stage "batch-1"/);
    rejects(() => s.route(() => "a", ["a"], { onError: "nope" as never }), "onError", /route "route-1"/);
    const plan = s
      .map((x) => x)
      .filter(() => true)
      .batch({ size: 2 })
      .plan();
    assert.deepEqual(
      plan.stages.map((st) => st.name),
      ["source", "map-1", "map-2", "filter-1", "batch-1"],
    );
  });

  it("route(): unknown option keys, a bad onError, bad or duplicate keys", () => {
    rejects(() => p().route(() => "a", ["a"], { nmae: "r" } as never), "nmae", /route "route-1"/);
    rejects(() => p().route(() => "a", ["a"], { name: "r", onError: "ignore" as never }), "onError", /route "r"/);
    rejects(() => p().route(() => "a", ["a"], { name: "" }), "name", /route "route-1"/);
    rejects(() => p().route(() => "a", ["a"], "r" as never), "options", /route/);
    rejects(() => p().route(() => "a", [], { name: "r" }), "keys", /route "r"/);
    rejects(() => p().route(() => "a", ["a", "a"], { name: "r" }), "keys[1]", /route "r"/);
    rejects(() => p().route(() => "a", ["a", 3 as never], { name: "r" }), "keys[1]", /route "r"/);
    rejects(() => p().route("a" as never, ["a"], { name: "r" }), "key", /route "r"/);
  });

  it("merge(): a bad name, no streams, or something that is not a stream", () => {
    const a = p();
    rejects(() => merge([a], ""), "name", /merge/);
    rejects(() => merge([a], 42 as never), "name", /merge/);
    rejects(() => merge([]), "streams", /merge/);
    rejects(() => merge("ab" as never), "streams", /merge/);
    rejects(() => merge([a, {} as never], "m"), "streams[1]", /merge "m"/);
    assert.equal(merge([a], "m").plan().stages.at(-1)!.name, "m");
  });

  it("stream(): capacity", () => {
    rejects(() => p().stream({ capacity: 0 }), "capacity", /pipeline "p" stream\(\)/);
  });
});

describe("the graph's shape is checked when it is defined (WEIR_INVALID_PIPELINE)", () => {
  function invalid(build: () => unknown, message: RegExp): void {
    assert.throws(build, (e: unknown) => {
      assert.ok(e instanceof InvalidPipelineError, String(e));
      assert.equal(e.code, "WEIR_INVALID_PIPELINE");
      assert.equal(e.pipeline, "p");
      assert.match(e.message, message);
      return true;
    });
  }

  it("a stage after a sink, from untyped JavaScript (a Sink handed to merge)", () => {
    const src = pipeline("p").from([1]);
    const sink: Sink = src.to(() => {}, { name: "out" });
    invalid(
      () => merge([src, sink as unknown as Stream<number>]),
      /"out" is a sink: nothing can follow it \("merge-1"\)/,
    );
    assert.equal(merge([src]).plan().stages.at(-1)!.name, "merge-1", "the failed merge left nothing behind");
  });

  it("stream() on a stage that fans out", () => {
    const src = pipeline("p")
      .from([1])
      .map((x) => x, { name: "shared" });
    src.to(() => {});
    src.to(() => {});
    invalid(() => src.stream()[Symbol.asyncIterator](), /stream\(\): "shared" feeds other stages/);
  });

  it("merge() and into() across pipelines", () => {
    const a = pipeline("p").from([1]);
    const b = pipeline("q").from([2]);
    invalid(() => merge([a, b]), /different pipelines/);
    const point = merge([b]);
    invalid(() => a.into(point), /into\(\): the merge point belongs to another pipeline/);
    rejects(() => a.into({} as never), "mergePoint", /pipeline "p" into\(\)/);
  });

  it("into() a stage that is not a merge point", () => {
    const a = pipeline("p").from([1]);
    const m = a.map((x) => x, { name: "m" });
    invalid(() => m.map((x) => x).into(m), /"m" is a map stage: only a merge point accepts more inputs/);
  });

  it("following a route without picking a branch", () => {
    const graph = new PipelineGraph("p");
    const none = {
      fn: undefined,
      pool: undefined,
      settings: undefined,
      batch: undefined,
      route: undefined,
      source: undefined,
    };
    graph.add({ ...none, name: "source", kind: "source", source: [1], inputs: [] });
    graph.add({
      ...none,
      name: "r",
      kind: "route",
      route: { key: () => "a", keys: ["a"], onError: "fail" },
      inputs: [{ from: 0, key: undefined }],
    });
    invalid(
      () =>
        graph.add({
          ...none,
          name: "after",
          kind: "map",
          fn: (x: unknown) => x,
          inputs: [{ from: 1, key: undefined }],
        }),
      /"after" must follow one branch of route "r"/,
    );
    // through a branch it is fine
    graph.add({ ...none, name: "branch", kind: "map", fn: (x: unknown) => x, inputs: [{ from: 1, key: "a" }] });
    assert.equal(graph.nodes.length, 3);
  });
});
