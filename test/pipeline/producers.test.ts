import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, merge, SourceError, WeirError, type Run, type RunSnapshot } from "../../src/index.js";

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** An endless generator that counts how many items were pulled from it. */
function counting(label: string, pulls: { n: number }): Generator<string> {
  return (function* () {
    for (;;) yield `${label}${pulls.n++}`;
  })();
}

describe("several producers in one pipeline", () => {
  it("merges named sources: every item once, a stats row and stable indices per source", async () => {
    const p = pipeline<string>("billing");
    const orders = p.from(["o0", "o1", "o2"], { name: "orders" });
    const refunds = p.from(["r0", "r1"], { name: "refunds" });
    const seen: Array<[string, number]> = [];
    const result = await merge([orders.map((o) => o.toUpperCase()), refunds], "all")
      .to((x, ctx) => void seen.push([x, ctx.index]), { name: "write" })
      .run();
    assert.deepEqual(seen.map(([x]) => x).sort(), ["O0", "O1", "O2", "r0", "r1"]);
    // position p of source k (of 2) has index p * 2 + k: unique, and the same on every run
    assert.deepEqual(
      seen.sort((a, b) => a[1] - b[1]),
      [
        ["O0", 0],
        ["r0", 1],
        ["O1", 2],
        ["r1", 3],
        ["O2", 4],
      ],
    );
    assert.equal(result.stats.orders!.out, 3);
    assert.equal(result.stats.refunds!.out, 2);
    assert.equal(result.stats.orders!.kind, "source");
    assert.equal(result.stats.all!.in, 5);
    assert.equal(result.stats.write!.out, 5);
    assert.equal(result.sourceItems, 5);
    // everything went through: the watermark is past every index
    assert.ok(result.lowWatermark > 4);
  });

  it("merge() also works as a method on a stream of another source", async () => {
    const p = pipeline<number>("two");
    const a = p.from([1, 2]);
    const b = p.from([10, 20]);
    const out: number[] = [];
    const result = await a
      .merge(b)
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(
      out.sort((x, y) => x - y),
      [1, 2, 10, 20],
    );
    // unnamed sources: "source", then source-<n>
    assert.deepEqual(Object.keys(result.stats).slice(0, 2), ["source", "source-1"]);
  });

  it("ends each source's branch when that source ends, and the run when all ended", async () => {
    const late = gate();
    const p = pipeline<number>("ends");
    const early = p.from([1, 2, 3], { name: "early" });
    const slow = p.from(
      (async function* () {
        await late.promise;
        yield 100;
      })(),
      { name: "slow" },
    );
    const batches: number[][] = [];
    const firstBatch = gate();
    // a batch flushes its partial batch only at its input's end: the end of "early" alone
    early.batch({ size: 10, name: "group" }).to((b) => {
      batches.push(b);
      firstBatch.open();
    });
    const slowItems: number[] = [];
    const run = slow.to((x) => void slowItems.push(x)).run();
    let settled = false;
    void run.then(() => (settled = true));
    await firstBatch.promise;
    assert.deepEqual(batches, [[1, 2, 3]]);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, "the run waits for the source still open");
    const snapshot: RunSnapshot = run.snapshot();
    assert.equal(snapshot.sourceDone, false);
    late.open();
    const result = await run;
    assert.deepEqual(slowItems, [100]);
    assert.equal(result.stats.early!.out, 3);
    assert.equal(result.stats.slow!.out, 1);
  });

  it("pulls every source only into the room below (bounded, however fast each is)", async () => {
    const a = { n: 0 };
    const b = { n: 0 };
    const p = pipeline<string>("bounded");
    const merged = merge([p.from(counting("a", a), { name: "a" }), p.from(counting("b", b), { name: "b" })]);
    let read = 0;
    for await (const item of merged.stream({ capacity: 8 })) {
      assert.equal(typeof item, "string");
      if (++read === 500) break;
    }
    // each source is read at most a merge channel (64) and the reader's buffer (8) ahead, plus a chunk in hand
    assert.ok(a.n + b.n >= 500);
    assert.ok(a.n < 500 + 3 * 72, `a pulled ${a.n}`);
    assert.ok(b.n < 500 + 3 * 72, `b pulled ${b.n}`);
    // they take turns: neither starves the other
    assert.ok(Math.min(a.n, b.n) > 150, `a: ${a.n}, b: ${b.n}`);
  });

  it("a failing source stops the others, lets what was read drain, and the run rejects naming it", async () => {
    const other = { n: 0 };
    const p = pipeline<string>("failing");
    const good = p.from(
      (async function* () {
        for (;;) {
          await new Promise((r) => setImmediate(r));
          yield `g${other.n++}`;
        }
      })(),
      { name: "good" },
    );
    const bad = p.from(
      (async function* readRefunds() {
        yield "r0";
        yield "r1";
        throw new Error("refund feed broke");
      })(),
      { name: "refunds" },
    );
    const sunk: string[] = [];
    const run = merge([good, bad])
      .to((x) => void sunk.push(x))
      .run();
    const error = await run.then(
      () => assert.fail("the run should reject"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SourceError);
    assert.equal(error.code, "WEIR_SOURCE_FAILED");
    assert.equal(error.position, 2);
    assert.equal(error.delivered, 2, "what the failing source gave went through");
    assert.match(error.source, /source "refunds"/);
    assert.match(error.message, /refund feed broke/);
    assert.ok(sunk.includes("r0") && sunk.includes("r1"));
    // the other source stopped being pulled once the failure was seen (a read pending then may still settle)
    const pulled = other.n;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.ok(other.n <= pulled + 1, `pulled ${other.n - pulled} more`);
  });

  it("stop() stops every source; what was pulled drains and the run resolves", async () => {
    const pulls = { a: 0, b: 0 };
    const endless = (key: "a" | "b") =>
      (async function* () {
        for (;;) {
          await new Promise((r) => setImmediate(r));
          yield pulls[key]++;
        }
      })();
    const p = pipeline<number>("stopping");
    let sunk = 0;
    const run = merge([p.from(endless("a"), { name: "a" }), p.from(endless("b"), { name: "b" })])
      .to(() => void sunk++)
      .run();
    while (pulls.a < 20 || pulls.b < 20) await new Promise((r) => setImmediate(r));
    const result = await run.stop({ graceMs: Infinity });
    assert.equal(result.stopped, true);
    assert.equal(result.abandoned, 0);
    assert.equal(run.snapshot().sourceDone, true);
    assert.equal(result.stats.a!.out + result.stats.b!.out, sunk, "everything pulled went through");
    assert.equal(result.sourceItems, sunk);
  });

  it("rejects a duplicate source name and unknown from() options with coded errors", () => {
    const p = pipeline("dupes");
    p.from([1], { name: "orders" });
    assert.throws(
      () => p.from([2], { name: "orders" }),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_DUPLICATE_NAME",
    );
    assert.throws(
      () => p.from([2], { nmae: "x" } as never),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_OPTION" && /nmae/.test(e.message),
    );
    assert.throws(
      () => p.from([2], { name: "" }),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_INVALID_OPTION",
    );
  });

  it("plans one source step per source", () => {
    const p = pipeline<number>("planned");
    const merged = merge([p.from([1], { name: "left" }), p.from([2], { name: "right" })], "both");
    const plan = merged.map((x) => x + 1, { name: "inc" }).plan();
    const sources = plan.steps.filter((s) => s.headKind === "source").map((s) => s.head);
    assert.deepEqual(sources, ["left", "right"]);
    const head = plan.steps.find((s) => s.head === "both")!;
    assert.deepEqual(head.input!.from, [0, 1]);
    assert.deepEqual(head.fused, ["inc"]);
  });

  it("gives a run-aware source its own positions (watermark and item events)", async () => {
    const attach = Symbol.for("weir.source.attach-run");
    const seen: { index: number[]; watermark: number } = { index: [], watermark: -1 };
    const acking = {
      *[Symbol.iterator](): Generator<number> {
        yield* [0, 1, 2, 3];
      },
      [attach](run: Run) {
        run.on("stage:dead-letter", (d) => void seen.index.push(d.index));
        return () => {
          seen.watermark = run.snapshot().lowWatermark;
          return Promise.resolve();
        };
      },
    };
    const p = pipeline<number>("acks");
    await merge([p.from([10, 11, 12], { name: "plain" }), p.from(acking, { name: "acking" })])
      .map(
        (x) => {
          if (x === 1 || x === 11) throw new Error("bad");
          return x;
        },
        { onError: "dead-letter" },
      )
      .to(() => {})
      .run();
    // only its own item (position 1), by its own position; all four of its items are done
    assert.deepEqual(seen.index, [1]);
    assert.equal(seen.watermark, 4);
  });
});
