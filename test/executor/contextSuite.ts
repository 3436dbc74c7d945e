import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { child } from "../../src/executor/pool/stage/child.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { worker } from "../../src/executor/pool/stage/worker.js";
import type { PoolOptions } from "../../src/executor/pool/stage/PoolOptions.js";
import type { PoolExecutor } from "../../src/executor/pool/executor/PoolExecutor.js";
import type { ChainStep } from "../../src/executor/pool/wire/WireMessage.js";
import { attempt, attemptAll, codeOf, fns, values } from "./harness.js";

/**
 * The behaviours every pool context must share, run once for threads and once for processes
 * through the Executor interface.
 */
export function contextSuite(context: "worker" | "process"): void {
  const make = context === "worker" ? worker : child;
  const open: PoolExecutor[] = [];
  const exec = (exportName: string, chain?: ChainStep[], options: PoolOptions = { maxWorkers: 2 }): PoolExecutor => {
    const e = createExecutor(make(fns, exportName, options), exportName, chain);
    open.push(e);
    return e;
  };
  after(async () => {
    await Promise.all(open.map((e) => e.close()));
  });

  describe(`${context} executor`, () => {
    it("runs items and resolves each with its value, in any batch split", async () => {
      const e = exec("inc");
      assert.equal(e.context, context);
      assert.equal(e.emitsMany, false);
      const items = Array.from({ length: 2000 }, (_, i) => i);
      assert.deepEqual(
        values(await attemptAll(e, items)),
        items.map((x) => x + 1),
      );
      assert.ok(e.window(2) >= 2, "window covers at least one item per worker");
      assert.ok(e.maxWindow(2) >= e.window(2));
    });

    it("passes ctx (stage, index, attempt, signal) to the function", async () => {
      const e = exec("ctxInfo");
      const o = await attempt(e, "a", 7, undefined, 3);
      assert.ok(o.ok);
      assert.deepEqual(o.value, { x: "a", stage: "ctxInfo", index: 7, attempt: 3, aborted: false });
    });

    it("fails only the item that throws, with the original name, message, code and fields", async () => {
      const e = exec("fail");
      const out = await attemptAll(e, [1, 2, 3, 4]);
      assert.deepEqual(
        out.map((o) => o.ok),
        [true, true, false, true],
      );
      const err = (out[2] as { error: Error & { code: string; status: number } }).error;
      assert.ok(err instanceof Error);
      assert.equal(err.name, "RangeError");
      assert.equal(err.message, "bad item 3");
      assert.equal(err.code, "E_BAD_ITEM");
      assert.equal(err.status, 422);
      assert.match(err.stack ?? "", /fns\.mjs/);
    });

    it("rejects with a thrown non-Error value as is", async () => {
      const o = await attempt(exec("throwString"), 1);
      assert.deepEqual(o, { ok: false, error: "plain string" });
    });

    it("fails every item with a coded error when the export is missing", async () => {
      const out = await attemptAll(exec("notAFunction"), [1, 2]);
      for (const o of out) {
        assert.equal(o.ok, false);
        assert.equal(codeOf((o as { error: unknown }).error), "WEIR_LOAD_FAILED");
      }
    });

    it("fails only the item whose result cannot cross the boundary; later results of the same shape still do", async () => {
      const e = exec("unsendable", undefined, { maxWorkers: 1 });
      const out = await attemptAll(e, [1, 2, 3]);
      assert.deepEqual(
        out.map((o) => o.ok),
        [true, false, true],
      );
      assert.deepEqual(
        [out[0], out[2]],
        [
          { ok: true, value: { s: 1 } },
          { ok: true, value: { s: 3 } },
        ],
      );
      assert.deepEqual(values(await attemptAll(e, [4, 5])), [{ s: 4 }, { s: 5 }]);
    });

    it("fails only the item whose result holds a function, as structured clone would (msgpack does not write it as undefined)", async () => {
      const e = exec("withFunction", undefined, { maxWorkers: 1 });
      const out = await attemptAll(e, [1, 2, 3]);
      assert.deepEqual(
        out.map((o) => o.ok),
        [true, false, true],
      );
      assert.deepEqual(
        [out[0], out[2]],
        [
          { ok: true, value: { x: 1 } },
          { ok: true, value: { x: 3 } },
        ],
      );
    });

    if (context === "worker") {
      it("carries cyclic items and results to and from threads (structured clone where msgpack cannot)", async () => {
        const item: { n: number; self?: unknown } = { n: 1 };
        item.self = item;
        const e = exec("cyclic", undefined, { maxWorkers: 1 });
        const [v] = values(await attemptAll(e, [item])) as Array<{ n: number; self: unknown }>;
        assert.equal(v!.n, 2);
        assert.equal(v!.self, v);
        // and the items after it (same pool: same options) still cross as frames, records and all
        const [after] = values(await attemptAll(exec("structured", undefined, { maxWorkers: 1 }), [5]));
        assert.deepEqual(after, {
          x: 5,
          m: new Map([[5, "v"]]),
          s: new Set([5]),
          d: new Date(5),
          u: undefined,
          rows: [{ id: 5 }, { id: 6 }],
        });
      });
    }

    it("carries strings as they are, lone surrogates too, beside object batches sent as msgpack frames", async () => {
      // a batch of strings goes in V8's format (faster for strings than msgpack, whose UTF-8 would
      // replace a lone surrogate); a batch of objects as msgpack, records kept in order around it
      const e = exec("withReversed", undefined, { maxWorkers: 1 });
      const strings = ["a\uD800b", "plain", "é€😀", "", "x".repeat(1000)];
      const expected = strings.map((s) => s + "|" + [...s].reverse().join(""));
      assert.deepEqual(values(await attemptAll(e, strings)), expected);
      assert.deepEqual(
        values(
          await attemptAll(e, [
            { id: 1, name: "a" },
            { id: 2, name: "b" },
          ]),
        ),
        [
          { id: 1, name: "a", seen: true },
          { id: 2, name: "b", seen: true },
        ],
      );
      assert.deepEqual(values(await attemptAll(e, strings)), expected);
      assert.deepEqual(values(await attemptAll(e, [{ id: 3, name: "c" }])), [{ id: 3, name: "c", seen: true }]);
    });

    it("carries Maps, Sets, Dates, undefined and records as structured clone does", async () => {
      const [v] = values(await attemptAll(exec("structured"), [5])) as Array<Record<string, unknown>>;
      assert.deepEqual(v, {
        x: 5,
        m: new Map([[5, "v"]]),
        s: new Set([5]),
        d: new Date(5),
        u: undefined,
        rows: [{ id: 5 }, { id: 6 }],
      });
      assert.ok("u" in v!);
    });

    it("runs async functions", async () => {
      assert.deepEqual(values(await attemptAll(exec("asyncInc"), [1, 2, 3])), [2, 3, 4]);
    });

    it("colocates a chain: map → filter → flatMap in one crossing, resolving arrays of outputs", async () => {
      const e = exec("inc", [
        { kind: "map", exportName: "inc" },
        { kind: "filter", exportName: "isEven" },
        { kind: "flatMap", exportName: "explode" },
      ]);
      assert.equal(e.emitsMany, true);
      assert.deepEqual(values(await attemptAll(e, [1, 2, 3])), [[2, 20], [], [4, 40]]);
    });

    it("colocates map → tap → map, resolving single values; async generators in flatMap", async () => {
      const single = exec("inc", [
        { kind: "map", exportName: "inc" },
        { kind: "tap", exportName: "double" },
        { kind: "map", exportName: "double" },
      ]);
      assert.equal(single.emitsMany, false);
      assert.deepEqual(values(await attemptAll(single, [1, 2])), [4, 6]);
      const gen = exec("asyncExplode", [
        { kind: "flatMap", exportName: "asyncExplode" },
        { kind: "map", exportName: "asyncInc" },
      ]);
      assert.deepEqual(values(await attemptAll(gen, [1, 5])), [
        [2, 0],
        [6, -4],
      ]);
    });

    it("aborting an item's signal aborts ctx.signal in the worker; the item rejects with the reason", async () => {
      // three items inside the worker's functions at once: two waiting, one looking at them
      const options = { maxWorkers: 1, cancelGraceMs: 60_000, concurrencyPerWorker: 3 };
      const e = exec("recordAbort", undefined, options);
      const seen = exec("seenAborts", undefined, options);
      const ac = new AbortController();
      const pending = attempt(e, 1, 0, ac.signal);
      const other = attempt(e, 2, 1); // never aborted: stays pending until close
      assert.deepEqual(values(await attemptAll(seen, [0])), [[]], "both items are running in the worker");
      const reason = new Error("too slow");
      ac.abort(reason);
      assert.deepEqual(await pending, { ok: false, error: reason });
      // the cancel reached the function's ctx.signal in the worker, before later messages
      assert.deepEqual(values(await attemptAll(seen, [0])), [["too slow"]]);
      await e.close();
      const left = await other;
      assert.equal(codeOf((left as { error: unknown }).error), "WEIR_CANCELLED");
    });

    it("an attempt whose signal is already aborted rejects at once", async () => {
      const ac = new AbortController();
      ac.abort(new Error("before"));
      const o = await attempt(exec("inc"), 1, 0, ac.signal);
      assert.equal(o.ok, false);
      assert.equal((o as { error: Error }).error.message, "before");
    });

    it("stages naming the same module and options share one pool; it closes with the last", async () => {
      const options = { maxWorkers: 1, idleTimeoutMs: 60_000 };
      const a = createExecutor(make(fns, "inc", options), "a");
      const b = createExecutor(make(fns, "double", options), "b");
      assert.equal(a.pool, b.pool);
      assert.deepEqual(values(await Promise.all([attempt(a, 1), attempt(b, 1)])), [2, 2]);
      await a.close();
      assert.equal(b.pool.running, 1, "still open for b");
      await b.close();
      assert.equal(b.pool.running, 0);
    });

    it("reports the workers' event-loop delay", async () => {
      const e = exec("busy", undefined, { maxWorkers: 1 });
      await attemptAll(e, [2, 2, 2]);
      assert.ok(e.loopDelayMs() >= 0);
    });

    it("rejects after close with WEIR_CANCELLED", async () => {
      const e = exec("inc");
      await e.close();
      await e.close();
      const o = await attempt(e, 1);
      assert.equal(codeOf((o as { error: unknown }).error), "WEIR_CANCELLED");
    });
  });
}
