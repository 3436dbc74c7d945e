import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  pipeline,
  worker,
  child,
  StageError,
  TimeoutError,
  CancelledError,
  type StageContext,
  type StageOptions,
} from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import * as fns from "../fixtures/conformance/stages.mjs";
import { collect } from "../helpers.js";

const module = new URL("../fixtures/conformance/stages.mjs", import.meta.url);
type Fn = (x: number, ctx: StageContext) => unknown;
type Name = "inc" | "isEven" | "explode" | "failOn3" | "flakyOnce" | "waitForAbort" | "hangOn5";

/** How each context gets the same function, and the options that put the stage there. */
const contexts = {
  inline: {
    fn: (name: Name): Fn | ReturnType<typeof worker<number, unknown>> => fns[name],
    options: { context: "inline" } as StageOptions<number>,
  },
  async: {
    fn: (name: Name): Fn | ReturnType<typeof worker<number, unknown>> => fns[name],
    options: { context: "async", concurrency: 4 } as StageOptions<number>,
  },
  worker: {
    fn: (name: Name) => worker<number, unknown>(module, name, { maxWorkers: 2 }),
    options: { concurrency: 2 } as StageOptions<number>,
  },
  process: {
    fn: (name: Name) => child<number, unknown>(module, name, { maxWorkers: 2 }),
    options: { concurrency: 2 } as StageOptions<number>,
  },
};

const items = Array.from({ length: 300 }, (_, i) => i);

for (const [name, ctx] of Object.entries(contexts)) {
  const { fn, options } = ctx;
  describe(`conformance: ${name} context`, () => {
    it("map returns every result, in input order", async () => {
      const r = pipeline("c")
        .from(items)
        .map(fn("inc"), { ...options, name: "inc" });
      assert.deepEqual(
        await collect(r.stream()),
        items.map((x) => x + 1),
      );
      assert.equal(r.plan().stages.find((s) => s.name === "inc")!.context, name);
    });

    it("filter and flatMap keep order", async () => {
      const evens = await collect(pipeline("c").from(items).filter(fn("isEven"), options).stream());
      assert.deepEqual(
        evens,
        items.filter((x) => x % 2 === 0),
      );
      const exploded = await collect(
        pipeline("c")
          .from([1, 2, 3])
          .flatMap(fn("explode") as never, options)
          .stream(),
      );
      assert.deepEqual(exploded, [1, 10, 2, 20, 3, 30]);
    });

    it("a failing item fails the run with a StageError naming stage, index and cause", async () => {
      await assert.rejects(
        pipeline("c")
          .from(items)
          .map(fn("failOn3"), { ...options, name: "check" })
          .run(),
        (e: unknown) => {
          assert.ok(e instanceof StageError);
          assert.equal(e.stage, "check");
          assert.equal(e.index, 3);
          assert.equal(e.item, 3);
          assert.equal((e.cause as Error).message, "bad item 3");
          assert.equal((e.cause as Error).name, "RangeError");
          return true;
        },
      );
    });

    it("skip and dead-letter drop only the failing item", async () => {
      const skipped = await collect(
        pipeline("c")
          .from([1, 2, 3, 4])
          .map(fn("failOn3"), { ...options, onError: "skip" })
          .stream(),
      );
      assert.deepEqual(skipped, [1, 2, 4]);
      const r = await pipeline("c")
        .from([1, 2, 3, 4])
        .map(fn("failOn3"), { ...options, name: "dl", onError: "dead-letter" })
        .run();
      assert.deepEqual(
        r.deadLetters.map((d) => [d.stage, d.index, d.item, (d.error as Error).message]),
        [["dl", 2, 3, "bad item 3"]],
      );
      assert.equal(r.stats.dl!.out, 3);
    });

    if (name === "inline") return; // retries, timeouts and cancellation of in-flight work need a step of their own

    it("retries failed attempts and passes the attempt number", async () => {
      const clock = new ManualClock();
      const run = pipeline("c")
        .from([1, 2, 3, 6])
        .map(fn("flakyOnce"), { ...options, name: "flaky", retry: { attempts: 2, baseMs: 10, jitter: 0 } })
        .stream({ clock });
      const it = run[Symbol.asyncIterator]();
      const pending = (async () => {
        const out: unknown[] = [];
        for (let r = await it.next(); r.done !== true; r = await it.next()) out.push(r.value);
        return out;
      })();
      while (clock.pendingTimers === 0) await new Promise((r) => setTimeout(r, 5));
      await clock.runAll();
      assert.deepEqual(await pending, [101, 201, 302, 602]);
    });

    it("timeoutMs aborts ctx.signal where the function runs and fails the item with a TimeoutError", async () => {
      const clock = new ManualClock();
      const run = pipeline("c")
        .from([1])
        .map(fn("waitForAbort"), { ...options, name: "hang", timeoutMs: 1000 })
        .run({ clock });
      const settled = run.then(
        () => undefined,
        (e: unknown) => e,
      );
      while (run.snapshot().stages.find((s) => s.name === "hang")!.inFlight === 0)
        await new Promise((r) => setTimeout(r, 5));
      await clock.advance(1000);
      const e = await settled;
      assert.ok(e instanceof StageError, String(e));
      assert.ok(e.cause instanceof TimeoutError);
    });

    it("a timed-out item fails alone; the items beside it (in its batch, for pools) complete, each reported once", async () => {
      const input = Array.from({ length: 12 }, (_, i) => i + 1);
      const r = await pipeline("c")
        .from(input)
        .map(fn("hangOn5"), { ...options, name: "t", timeoutMs: 300, onError: "dead-letter" })
        .run();
      assert.deepEqual(
        r.deadLetters.map((d) => [d.index, d.item, (d.error as TimeoutError).code]),
        [[4, 5, "WEIR_TIMEOUT"]],
      );
      assert.equal(r.stats.t!.out, 11);
      assert.equal(r.stats.t!.errors, 1);
    });

    it("on an injected clock, timeouts report every item exactly once", async () => {
      const clock = new ManualClock();
      const input = Array.from({ length: 12 }, (_, i) => i + 1);
      const run = pipeline("c")
        .from(input)
        .map(fn("hangOn5"), { ...options, name: "t", timeoutMs: 1000, onError: "dead-letter" })
        .run({ clock });
      while (run.snapshot().stages.find((s) => s.name === "t")!.inFlight === 0)
        await new Promise((r) => setTimeout(r, 5));
      await clock.advance(1000);
      const r = await run;
      const seen = [...r.deadLetters.map((d) => d.index)];
      assert.equal(new Set(seen).size, seen.length, `dead letters once each: ${seen.join(",")}`);
      assert.ok(seen.includes(4));
      assert.equal(r.stats.t!.out + r.deadLetters.length, input.length);
    });

    it("cancellation by signal rejects the run and aborts items in flight", async () => {
      const ac = new AbortController();
      const run = pipeline("c")
        .from(items)
        .map(fn("waitForAbort"), { ...options, name: "hang" })
        .run({ signal: ac.signal });
      while (run.snapshot().stages.find((s) => s.name === "hang")!.inFlight === 0)
        await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
    });
  });
}
