import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, StageError } from "../../src/index.js";
import { turns } from "../helpers.js";

/**
 * A flatMap's expansion must be pulled as the sink takes items, not collected first. The sink
 * records, at each item, how far the generator has run ahead of it; the bound is what the plan
 * holds between them (channel capacities, windows, one outbox / output chunk of 1,024), far
 * below the expansion's size (the drill used 200,000; 50,000 shows the same, faster).
 */
const EXPANSION = 50_000;
const BOUND = 4_096;

/** A sink slower than the generator (a real hop every 256 items) that records the worst lead. */
function slowSink(ahead: () => number, worst: { lead: number; first: number }): () => Promise<void> {
  let n = 0;
  return async () => {
    const lead = ahead();
    if (n === 0) worst.first = lead;
    if (lead > worst.lead) worst.lead = lead;
    if (++n % 256 === 0) await new Promise((r) => setTimeout(r, 0));
  };
}

describe("flatMap pulls its expansions lazily, with backpressure", () => {
  for (const where of ["an async stage (the stage runner)", "a fused step"] as const) {
    for (const kind of ["async generator", "sync generator"] as const) {
      it(`${where}: a ${kind} of ${EXPANSION.toLocaleString("en")} items is pulled as the sink takes them`, async () => {
        let produced = 0;
        let consumed = 0;
        const worst = { lead: 0, first: 0 };
        function* sync(): Generator<number> {
          for (let i = 0; i < EXPANSION; i++) {
            produced++;
            yield i;
          }
        }
        async function* asyncGen(): AsyncGenerator<number> {
          for (let i = 0; i < EXPANSION; i++) {
            produced++;
            yield i;
          }
        }
        const expand = kind === "async generator" ? asyncGen : sync;
        const sink = slowSink(() => produced - consumed, worst);
        const p = pipeline("p").from([1, 2]);
        const expanded =
          where === "a fused step"
            ? p.flatMap(() => expand()) // synchronous function: fused into the source's step
            : p.flatMap(async () => expand(), { concurrency: 2 });
        const plan = expanded.to(() => {}).plan();
        assert.equal(
          plan.stages.find((s) => s.kind === "flatMap")!.context,
          where === "a fused step" ? "inline" : "async",
        );
        const result = await expanded
          .to(
            async () => {
              consumed++;
              await sink();
            },
            { concurrency: 1, name: "sink" },
          )
          .run();
        assert.equal(result.stats.sink!.in, 2 * EXPANSION);
        // before the fix: the whole expansion was produced before the sink got its first item
        assert.ok(worst.first <= BOUND, `the first item reached the sink after ${worst.first} were produced`);
        assert.ok(worst.lead <= BOUND, `the generator ran ${worst.lead} items ahead of the sink (bound ${BOUND})`);
      });
    }
  }

  it("an endless expansion is fine: stop() ends it, closing the generator", async () => {
    for (const fused of [true, false]) {
      let closed = false;
      let got = 0;
      async function* endless(): AsyncGenerator<number> {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      }
      const p = pipeline("p").from([0]);
      const run = (fused ? p.flatMap(() => endless()) : p.flatMap(async () => endless()))
        .to(async () => {
          got++;
          await new Promise((r) => setTimeout(r, 0));
        })
        .run();
      while (got < 50) await turns(1);
      const r = await run.stop({ graceMs: 0 });
      assert.equal(r.stopped, true, `fused ${fused}`);
      await turns(3);
      assert.equal(closed, true, `fused ${fused}: the generator was returned`);
    }
  });

  it("a slow async generator's first items go on before its last is produced", async () => {
    for (const fused of [true, false]) {
      let release!: () => void;
      const last = new Promise<void>((r) => (release = r));
      async function* pages(): AsyncGenerator<string> {
        yield "page 1";
        yield "page 2";
        await last; // the last page takes its time
        yield "page 3";
      }
      const got: string[] = [];
      const p = pipeline("p").from([0]);
      const run = (fused ? p.flatMap(() => pages()) : p.flatMap(async () => pages())).to((x) => void got.push(x)).run();
      while (got.length < 2) await turns(1);
      assert.deepEqual(got, ["page 1", "page 2"], `fused ${fused}`);
      release();
      await run;
      assert.deepEqual(got, ["page 1", "page 2", "page 3"]);
    }
  });

  it("keeps input order across expansions (ordered, the default), and interleaves them when unordered", async () => {
    const gen = async function* (x: number): AsyncGenerator<string> {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        yield `${x}.${i}`;
      }
    };
    const ordered: string[] = [];
    await pipeline("p")
      .from([0, 1, 2])
      .flatMap(async (x) => gen(x), { concurrency: 3 })
      .to((x) => void ordered.push(x))
      .run();
    assert.deepEqual(ordered, ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2", "2.0", "2.1", "2.2"]);

    // unordered: expansion 0 waits until another expansion's items went on, so it cannot finish
    // first unless the others are pulled beside it
    let othersWent!: () => void;
    const others = new Promise<void>((r) => (othersWent = r));
    const unordered: string[] = [];
    await pipeline("p")
      .from([0, 1, 2])
      .flatMap(
        async (x) =>
          (async function* (): AsyncGenerator<string> {
            if (x === 0) await others;
            yield* gen(x);
          })(),
        { concurrency: 3, ordered: false },
      )
      .to((x) => {
        unordered.push(x);
        if (x === "1.2" || x === "2.2") othersWent();
      })
      .run();
    assert.deepEqual([...unordered].sort(), [...ordered].sort());
    assert.notEqual(unordered[0], "0.0", "the waiting expansion did not hold the others back");
  });

  it("many empty expansions in a row, and Sets and Maps, expand like arrays", async () => {
    const got: number[] = [];
    await pipeline("p")
      .from(Array.from({ length: 20_000 }, (_, i) => i))
      .flatMap(async (x) => (x % 1000 === 0 ? new Set([x, x + 0.5]) : new Set<number>()), { concurrency: 64 })
      .to((x) => void got.push(x))
      .run();
    assert.equal(got.length, 40);
    assert.deepEqual(got.slice(0, 4), [0, 0.5, 1000, 1000.5]);
  });

  it("an expansion that throws mid-way: the items it yielded went on; the item fails under onError", async () => {
    async function* breaks(x: number): AsyncGenerator<number> {
      yield x * 10;
      yield x * 10 + 1;
      if (x === 1) throw new Error("page 3 failed");
      yield x * 10 + 2;
    }
    const got: number[] = [];
    const r = await pipeline("p")
      .from([0, 1, 2])
      .flatMap(async (x) => breaks(x), { onError: "dead-letter", name: "pages" })
      .to((x) => void got.push(x))
      .run();
    assert.deepEqual(got, [0, 1, 2, 10, 11, 20, 21, 22]);
    assert.equal(r.deadLetters.length, 1);
    assert.equal(r.deadLetters[0]!.index, 1);
    assert.equal(r.stats.pages!.deadLettered, 1);

    await assert.rejects(
      pipeline("p")
        .from([0, 1, 2])
        .flatMap(async (x) => breaks(x), { name: "pages" })
        .run(),
      (e: unknown) => e instanceof StageError && e.stage === "pages" && e.index === 1,
    );
    const fusedGot: number[] = [];
    await assert.rejects(
      pipeline("p")
        .from([0, 1, 2])
        .flatMap((x) => breaks(x), { name: "pages" })
        .to((x) => void fusedGot.push(x))
        .run(),
      (e: unknown) => e instanceof StageError && e.stage === "pages" && e.index === 1,
    );
    assert.deepEqual(fusedGot.slice(0, 5), [0, 1, 2, 10, 11]);
  });
});
