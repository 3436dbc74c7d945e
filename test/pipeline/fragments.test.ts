import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fragment, formatPlan, pipeline, WeirError, type Stream } from "../../src/index.js";

interface Order {
  id: number;
  total: number;
}

const enrich = fragment("enrich", (s: Stream<Order>) =>
  s.map((o) => ({ ...o, vat: o.total * 0.2 }), { name: "vat" }).filter((o) => o.total > 0, { name: "paid" }),
);

const orders = (): Order[] => [
  { id: 1, total: 10 },
  { id: 2, total: 0 },
  { id: 3, total: 30 },
];

describe("fragments (nested pipelines)", () => {
  it("runs its stages in line, named under the fragment in stats and events", async () => {
    const out: Array<Order & { vat: number }> = [];
    const run = pipeline<Order>("shop")
      .from(orders())
      .through(enrich)
      .to((o) => void out.push(o), { name: "write" })
      .run();
    const ended: string[] = [];
    run.on("stage:end", (e) => void ended.push(e.stage));
    const result = await run;
    assert.deepEqual(
      out.map((o) => [o.id, o.vat]),
      [
        [1, 2],
        [3, 6],
      ],
    );
    assert.deepEqual(Object.keys(result.stats), ["source", "enrich/vat", "enrich/paid", "write"]);
    assert.equal(result.stats["enrich/paid"]!.out, 2);
    assert.ok(ended.includes("enrich/vat") && ended.includes("enrich/paid"));
  });

  it("keeps its group in plan() and `weir plan`, and fuses across its edges", () => {
    const plan = pipeline<Order>("shop")
      .from(orders())
      .map((o) => o, { name: "before" })
      .through(enrich)
      .map((o) => o.id, { name: "after" })
      .plan();
    const stage = (name: string) => plan.stages.find((s) => s.name === name)!;
    assert.equal(stage("enrich/vat").group, "enrich");
    assert.equal(stage("enrich/paid").group, "enrich");
    assert.equal(stage("before").group, null);
    // one step: the source, then before → enrich/vat → enrich/paid → after, fused
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.steps[0]!.fused, ["before", "enrich/vat", "enrich/paid", "after"]);
    assert.ok(stage("enrich/vat").fused && stage("after").fused);
    const text = formatPlan(plan);
    assert.match(text, /enrich\/vat/);
    assert.match(text, /fragments:\n {2}enrich: vat \(step 0\), paid \(step 0\)/);
  });

  it("names each use: the fragment's name, then <name>-2, or the name given", async () => {
    const p = pipeline<Order>("twice").from(orders());
    const s = p.through(enrich).through(enrich).through(enrich, { name: "enrich-eu" });
    const result = await s.to(() => {}, { name: "end" }).run();
    assert.deepEqual(Object.keys(result.stats), [
      "source",
      "enrich/vat",
      "enrich/paid",
      "enrich-2/vat",
      "enrich-2/paid",
      "enrich-eu/vat",
      "enrich-eu/paid",
      "end",
    ]);
  });

  it("nests: a fragment applied inside another is grouped under both", () => {
    const outer = fragment("checkout", (s: Stream<Order>) => s.through(enrich).map((o) => o.id, { name: "id" }));
    const plan = pipeline<Order>("nested")
      .from(orders())
      .through(outer)
      .to(() => {})
      .plan();
    const names = plan.stages.map((s) => [s.name, s.group]);
    assert.deepEqual(names.slice(1, 4), [
      ["checkout/enrich/vat", "checkout/enrich"],
      ["checkout/enrich/paid", "checkout/enrich"],
      ["checkout/id", "checkout"],
    ]);
  });

  it("may branch and merge inside, with default names under the group", async () => {
    const split = fragment("split", (s: Stream<number>) => {
      const { even, odd } = s.route((x) => (x % 2 === 0 ? "even" : "odd"), ["even", "odd"]);
      return even.map((x) => x * 10).merge(odd);
    });
    const out: number[] = [];
    const result = await pipeline<number>("inner")
      .from([1, 2, 3, 4])
      .through(split)
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(
      out.sort((a, b) => a - b),
      [1, 3, 20, 40],
    );
    const names = Object.keys(result.stats);
    assert.ok(names.includes("split/route-1") && names.includes("split/merge-1"), names.join(", "));
  });

  it("rejects a fragment that returns no stream of its pipeline, a duplicate use name, and non-fragments", () => {
    const p = pipeline<number>("bad").from([1]);
    const sinkFragment = fragment("sinks", (s: Stream<number>) => s.to(() => {}) as unknown as Stream<number>);
    assert.throws(
      () => p.through(sinkFragment),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_PIPELINE" && /fragment "sinks"/.test(e.message),
    );
    const q = pipeline<Order>("dupe").from(orders());
    q.through(enrich, { name: "x" });
    assert.throws(
      () => q.through(enrich, { name: "x" }),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_DUPLICATE_NAME",
    );
    assert.throws(
      () => p.through({ name: "fake", build: (s: Stream<number>) => s } as never),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_OPTION",
    );
    assert.throws(
      () => fragment("a/b", (s: Stream<number>) => s),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_OPTION",
    );
  });
});
