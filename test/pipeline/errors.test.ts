import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, StageError, TimeoutError, WeirError, type RunEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

describe("errors and retries", () => {
  for (const context of ["inline", "async"] as const) {
    it(`onError "fail" (default) rejects with a StageError naming stage, index, item and cause (${context})`, async () => {
      const boom = new Error("bad row");
      await assert.rejects(
        pipeline("p")
          .from(["a", "b", "c"])
          .map(
            (x) => {
              if (x === "b") throw boom;
              return x;
            },
            { name: "parse", context },
          )
          .to(() => {})
          .run(),
        (e: unknown) => {
          assert.ok(e instanceof StageError);
          assert.ok(WeirError.is(e));
          assert.equal(e.code, "WEIR_STAGE_FAILED");
          assert.equal(e.stage, "parse");
          assert.equal(e.index, 1);
          assert.equal(e.item, "b");
          assert.equal(e.cause, boom);
          assert.match(e.message, /stage "parse" failed on item 1: bad row/);
          return true;
        },
      );
    });

    it(`onError "skip" drops the item and counts it (${context})`, async () => {
      const got: number[] = [];
      const r = await pipeline("p")
        .from([1, 2, 3, 4])
        .map(
          (x) => {
            if (x % 2 === 0) throw new Error("even");
            return x;
          },
          { name: "odd", onError: "skip", context },
        )
        .to((x) => void got.push(x))
        .run();
      assert.deepEqual(got, [1, 3]);
      assert.equal(r.stats.odd!.skipped, 2);
      assert.equal(r.stats.odd!.errors, 2);
      assert.equal(r.deadLetters.length, 0);
    });

    it(`onError "dead-letter" keeps the item, index and error in the result and emits an event (${context})`, async () => {
      const events: RunEvents["stage:dead-letter"][] = [];
      const run = pipeline("p")
        .from(["x", "y"])
        .map(
          (x) => {
            if (x === "y") throw new TypeError("nope");
            return x;
          },
          { name: "check", onError: "dead-letter", context },
        )
        .run();
      run.on("stage:dead-letter", (e) => void events.push(e));
      const r = await run;
      assert.equal(r.deadLetters.length, 1);
      const dl = r.deadLetters[0]!;
      assert.deepEqual(
        [dl.stage, dl.index, dl.item, (dl.error as Error).message, dl.attempts],
        ["check", 1, "y", "nope", 1],
      );
      assert.equal(events.length, 1);
      assert.equal(r.stats.check!.deadLettered, 1);
    });
  }

  it("retries with exponential backoff on the injected clock, then succeeds", async () => {
    const clock = new ManualClock();
    const attempts: number[] = [];
    const delays: number[] = [];
    const run = pipeline("p")
      .from(["job"])
      .map(
        async (x, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error("flaky");
          return x;
        },
        { name: "call", retry: { attempts: 5, baseMs: 100, factor: 2, jitter: 0 } },
      )
      .run({ clock });
    run.on("stage:retry", (e) => void delays.push(e.delayMs));
    await clock.advance(99);
    assert.deepEqual(attempts, [1], "the first retry waits 100 ms");
    await clock.advance(1);
    assert.deepEqual(attempts, [1, 2]);
    await clock.advance(199);
    assert.deepEqual(attempts, [1, 2]);
    await clock.advance(1);
    const r = await run;
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(delays, [100, 200]);
    assert.equal(r.stats.call!.retries, 2);
    assert.equal(r.stats.call!.errors, 2);
    assert.equal(r.stats.call!.out, 1);
  });

  it("jitter spreads the delay by the injected random source, capped by maxMs", async () => {
    const clock = new ManualClock();
    const delays: number[] = [];
    const run = pipeline("p")
      .from([1])
      .map(
        async () => {
          throw new Error("always");
        },
        { retry: { attempts: 4, baseMs: 100, maxMs: 250, jitter: 1 }, onError: "skip" },
      )
      .run({ clock, random: () => 0.5 });
    run.on("stage:retry", (e) => void delays.push(e.delayMs));
    await clock.runAll();
    await run;
    assert.deepEqual(delays, [50, 100, 125]);
  });

  it("retryIf decides which errors are retried", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const run = pipeline("p")
      .from([1])
      .map(
        async () => {
          calls++;
          throw Object.assign(new Error("bad request"), { status: 400 });
        },
        { retry: { attempts: 5, retryIf: (e) => (e as { status: number }).status >= 500 } },
      )
      .run({ clock });
    await assert.rejects(run, (e: unknown) => e instanceof StageError && e.attempts === 1);
    assert.equal(calls, 1);
  });

  it("gives up after the last attempt and reports the attempts", async () => {
    const clock = new ManualClock();
    const run = pipeline("p")
      .from([7])
      .map(
        async () => {
          throw new Error("down");
        },
        { name: "api", retry: { attempts: 3, baseMs: 10, jitter: 0 } },
      )
      .run({ clock });
    const settled = run.then(
      () => assert.fail("should fail"),
      (e: unknown) => e,
    );
    await clock.runAll();
    const e = await settled;
    assert.ok(e instanceof StageError);
    assert.equal(e.attempts, 3);
    assert.match(e.message, /after 3 attempts: down/);
  });

  it("timeoutMs aborts the item's signal and fails the attempt with a TimeoutError", async () => {
    const clock = new ManualClock();
    let aborted: unknown;
    const run = pipeline("p")
      .from([1])
      .map(
        (x, ctx) =>
          new Promise<number>((resolve) => {
            ctx.signal.addEventListener("abort", () => (aborted = ctx.signal.reason));
            void resolve;
          }),
        { name: "slow", timeoutMs: 500 },
      )
      .run({ clock });
    const settled = run.then(
      () => undefined,
      (e: unknown) => e,
    );
    await clock.advance(499);
    assert.equal(aborted, undefined);
    await clock.advance(1);
    const e = await settled;
    assert.ok((aborted as unknown) instanceof TimeoutError);
    assert.ok(e instanceof StageError);
    assert.ok(e.cause instanceof TimeoutError);
    assert.equal((e.cause as TimeoutError).code, "WEIR_TIMEOUT");
  });

  it("a timed-out attempt is retried, and its late result is ignored", async () => {
    const clock = new ManualClock();
    const resolvers: Array<(v: string) => void> = [];
    const run = pipeline("p")
      .from([1])
      .map((_x, ctx) => new Promise<string>((resolve) => resolvers.push((v) => resolve(`${v}@${ctx.attempt}`))), {
        timeoutMs: 100,
        retry: { attempts: 2, baseMs: 10, jitter: 0 },
      })
      .stream({ clock });
    const it = run[Symbol.asyncIterator]();
    const first = it.next();
    await clock.advance(100); // attempt 1 times out
    await clock.advance(10); // backoff, attempt 2 starts
    assert.equal(resolvers.length, 2);
    resolvers[0]!("late");
    resolvers[1]!("fresh");
    assert.deepEqual(await first, { done: false, value: "fresh@2" });
    assert.equal((await it.next()).done, true);
  });

  it("emits stage:error with the action taken", async () => {
    const actions: string[] = [];
    const clock = new ManualClock();
    const run = pipeline("p")
      .from([1])
      .map(
        async (_x, ctx) => {
          if (ctx.attempt === 1) throw new Error("once");
          throw new Error("twice");
        },
        { retry: { attempts: 2, baseMs: 1 }, onError: "skip" },
      )
      .run({ clock });
    run.on("stage:error", (e) => void actions.push(e.action));
    await clock.runAll();
    await run;
    assert.deepEqual(actions, ["retry", "skip"]);
  });
});
