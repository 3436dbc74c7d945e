/**
 * durableState(): state a stage declares is stored with every checkpoint (same transaction) and a
 * resume starts from it; a value the store cannot encode fails the run; outside a durable run's
 * process it is refused with a coded error.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durableState, pipeline, WeirError } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-durable-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("durableState()", () => {
  it("is checkpointed with the run and restored on resume", async () => {
    const path = join(dir, "state.db");
    const totals = durableState("totals", () => ({ seen: new Set<string>(), sum: 0 }));
    let attempt = 0;
    let restoredSize = -1;
    let last: { seen: Set<string>; sum: number } | undefined;
    const p = pipeline("totals")
      .from((offset: number) => range(300).slice(offset))
      .map(
        async (x: number, ctx) => {
          // item 0 waits in the first run: the watermark stays at 0, the rest finish around it
          if (attempt === 0 && x === 0) await new Promise((r) => ctx.signal.addEventListener("abort", r));
          return x;
        },
        { name: "work", concurrency: 8, ordered: false },
      )
      .tap(
        (x: number, ctx) => {
          const t = totals.of(ctx);
          if (restoredSize === -1 && attempt === 1) restoredSize = t.seen.size;
          if (!t.seen.has(ctx.key!)) {
            t.seen.add(ctx.key!);
            t.sum += x;
          }
          last = t;
        },
        { name: "total" },
      )
      .to(() => {});
    {
      await using store = sqliteStore({ path });
      const run = p.run({ store, runId: "totals-1" });
      while (((await store.getRun("totals-1"))?.progress.done ?? 0) < 299) await new Promise((r) => setTimeout(r, 5));
      await run.stop({ graceMs: 0 });
    }
    // a fresh store on the same file: only what was committed comes back
    attempt = 1;
    last = undefined;
    {
      await using store = sqliteStore({ path });
      await p.run({ store, resume: "totals-1" });
    }
    assert.equal(restoredSize, 299, "the resumed run starts from the checkpointed state");
    assert.equal(last!.seen.size, 300);
    assert.equal(
      last!.sum,
      range(300).reduce((a, b) => a + b, 0),
    );
  });

  it("a value the store cannot encode fails the run with WEIR_NOT_SERIALIZABLE", async () => {
    await using store = sqliteStore({ path: join(dir, "bad.db") });
    const bad = durableState("bad", () => ({ f: () => 1 }));
    await assert.rejects(
      pipeline("bad")
        .from(range(10))
        .tap((_x, ctx) => void bad.of(ctx))
        .to(() => {})
        .run({ store }),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_NOT_SERIALIZABLE",
    );
  });

  it("is refused outside a durable run, and its arguments are checked", async () => {
    const s = durableState("s", () => 0);
    await assert.rejects(
      pipeline("plain")
        .from([1])
        .tap((_x, ctx) => void s.of(ctx))
        .to(() => {})
        .run(),
      (e: unknown) => WeirError.is(e) && /durableState\("s"\)/.test(String((e as Error).message)),
    );
    assert.throws(() => durableState("", () => 0), { code: "WEIR_INVALID_OPTION" });
    assert.throws(() => durableState("x", 1 as never), { code: "WEIR_INVALID_OPTION" });
  });
});
