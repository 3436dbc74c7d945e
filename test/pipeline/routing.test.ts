import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, merge, StageError, WeirError } from "../../src/index.js";
import { turns } from "../helpers.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("route strategies", () => {
  it("round-robin sends the branches items in turn, exactly evenly", async () => {
    const got: Record<string, number[]> = { a: [], b: [], c: [] };
    const { a, b, c } = pipeline<number>("rr")
      .from(range(3000))
      .route("round-robin", ["a", "b", "c"], { name: "deal" });
    a.to((x) => void got.a!.push(x), { name: "sink-a" });
    b.to((x) => void got.b!.push(x), { name: "sink-b" });
    const result = await c.to((x) => void got.c!.push(x), { name: "sink-c" }).run();
    assert.equal(got.a!.length, 1000);
    assert.equal(got.b!.length, 1000);
    assert.equal(got.c!.length, 1000);
    assert.ok(got.a!.every((x) => x % 3 === 0));
    assert.ok(got.b!.every((x) => x % 3 === 1));
    assert.ok(got.c!.every((x) => x % 3 === 2));
    assert.equal(result.stats.deal!.in, 3000);
    assert.equal(result.stats.deal!.out, 3000);
  });

  it("round-robin state is per run: a second run starts at the first branch again", async () => {
    const firsts: string[] = [];
    const { x, y } = pipeline<number>("rr2").from([1, 2, 3]).route("round-robin", ["x", "y"]);
    x.to((v) => void firsts.push(`x${v}`));
    const sink = y.to((v) => void firsts.push(`y${v}`));
    await sink.run();
    await sink.run();
    assert.deepEqual(firsts.sort(), ["x1", "x1", "x3", "x3", "y2", "y2"]);
  });

  it("least-loaded gives a slow branch fewer items", async () => {
    const counts = { fast: 0, slow: 0 };
    const { fast, slow } = pipeline<number>("ll").from(range(2000)).route("least-loaded", ["fast", "slow"]);
    fast.to(() => void counts.fast++, { name: "fast-sink" });
    const run = slow
      .to(
        async () => {
          // a slow consumer: several loop turns per item
          await turns(5);
          counts.slow++;
        },
        { name: "slow-sink", capacity: 16 },
      )
      .run();
    await run;
    assert.equal(counts.fast + counts.slow, 2000);
    assert.ok(counts.slow < counts.fast / 4, `fast ${counts.fast}, slow ${counts.slow}`);
    assert.ok(counts.slow >= 16, "the slow branch still gets its channel's worth");
  });

  it("least-loaded deals evenly when the branches keep up (ties in turn)", async () => {
    const counts = { a: 0, b: 0 };
    const { a, b } = pipeline<number>("ll-even").from(range(1000)).route("least-loaded", ["a", "b"]);
    a.to(() => void counts.a++);
    await b.to(() => void counts.b++).run();
    assert.equal(counts.a + counts.b, 1000);
    assert.ok(Math.abs(counts.a - counts.b) <= 64 * 2, `a ${counts.a}, b ${counts.b}`);
  });

  it("rejects an unknown strategy with a coded error naming it", () => {
    assert.throws(
      () =>
        pipeline<number>("bad")
          .from([1])
          .route("random" as "round-robin", ["a"]),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_OPTION" && /random/.test(e.message),
    );
  });

  it("shows the strategy in the plan", () => {
    const { a } = pipeline<number>("planned").from([1]).route("round-robin", ["a", "b"], { name: "deal" });
    const plan = a.to(() => {}).plan();
    assert.match(plan.stages.find((s) => s.name === "deal")!.reason, /route \(round-robin\)/);
  });
});

describe("dispatch: one function emitting to several branches", () => {
  interface Order {
    id: number;
    total: number;
  }

  it("emits an item, or derived items, to any branches; each branch ends", async () => {
    const orders: Order[] = range(10).map((i) => ({ id: i, total: i * 300 }));
    const audit: number[] = [];
    const review: string[] = [];
    const { all, big } = pipeline<Order>("router")
      .from(orders)
      .dispatch<"all" | "big", { all: Order; big: string }>(
        (o, ctx) => {
          ctx.emit("all", o);
          if (o.total > 1500) {
            ctx.emit("big", `review ${o.id}`);
            ctx.emit("big", `notify ${o.id}`);
          }
        },
        ["all", "big"],
        { name: "split" },
      );
    // a batch flushes its partial batch only at its branch's end
    const batches: Order[][] = [];
    all.batch({ size: 100 }).to((b) => void batches.push(b));
    const result = await big.to((s) => void review.push(s)).run();
    for (const b of batches) for (const o of b) audit.push(o.id);
    assert.deepEqual(audit, range(10));
    assert.equal(batches.length, 1);
    assert.deepEqual(review, [
      "review 6",
      "notify 6",
      "review 7",
      "notify 7",
      "review 8",
      "notify 8",
      "review 9",
      "notify 9",
    ]);
    assert.equal(result.stats.split!.in, 10);
    assert.equal(result.stats.split!.out, 18);
  });

  it("an item emitted nowhere is dropped; a throwing function applies onError and emits nothing of that item", async () => {
    const a: number[] = [];
    const b: number[] = [];
    const { left, right } = pipeline<number>("errs")
      .from(range(6))
      .dispatch(
        (x, ctx) => {
          if (x === 0) return;
          ctx.emit("left", x);
          if (x === 3) throw new Error("three");
          ctx.emit("right", x * 10);
        },
        ["left", "right"],
        { onError: "dead-letter", name: "d" },
      );
    left.to((x) => void a.push(x));
    const result = await right.to((x) => void b.push(x)).run();
    assert.deepEqual(a, [1, 2, 4, 5]);
    assert.deepEqual(b, [10, 20, 40, 50]);
    assert.equal(result.deadLetters.length, 1);
    assert.equal(result.deadLetters[0]!.stage, "d");
    assert.equal(result.deadLetters[0]!.index, 3);
  });

  it("emitting to an unknown branch fails the item (the run, under onError fail)", async () => {
    const { only } = pipeline<number>("unknown-branch")
      .from([1])
      .dispatch((x, ctx) => ctx.emit("nope" as "only", x), ["only"], { name: "d" });
    await assert.rejects(
      only.to(() => {}).run(),
      (e: unknown) => e instanceof StageError && /nope/.test(String(e.cause)),
    );
  });

  it("waits for room on a full branch (bounded), in order per branch", async () => {
    const slow: number[] = [];
    const fast: number[] = [];
    const { s, f } = pipeline<number>("full")
      .from(range(500))
      .dispatch(
        (x, ctx) => {
          ctx.emit("s", x);
          ctx.emit("f", x);
        },
        ["s", "f"],
      );
    f.to((x) => void fast.push(x));
    await s
      .to(
        async (x) => {
          await turns();
          slow.push(x);
        },
        { capacity: 4 },
      )
      .run();
    assert.deepEqual(slow, range(500));
    assert.deepEqual(fast, range(500));
  });

  it("feeds a merge like any route branch", async () => {
    const out: string[] = [];
    const { a, b } = pipeline<number>("remerge")
      .from([1, 2])
      .dispatch<"a" | "b", { a: string; b: string }>(
        (x, ctx) => {
          ctx.emit("a", `a${x}`);
          ctx.emit("b", `b${x}`);
        },
        ["a", "b"],
      );
    await merge([a, b])
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(out.sort(), ["a1", "a2", "b1", "b2"]);
  });
});
