import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { InvalidOptionError, pipeline, StageError, WorkerCrashedError, WeirError } from "../../src/index.js";
import { faults, InjectedFaultError, ManualClock, poolFaults } from "../../src/testing.js";

const identity = (x: number): number => x;

describe("weir/testing", () => {
  it('is a subpath export of its own ("types", "import", "default")', () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, Record<string, string>>;
    };
    assert.deepEqual(pkg.exports["./testing"], {
      types: "./dist/testing.d.ts",
      import: "./dist/testing.js",
      default: "./dist/testing.js",
    });
  });

  describe("faults()", () => {
    it("fails the chosen items with an InjectedFaultError; the others run the function, still fused", async () => {
      const calls: number[] = [];
      const p = pipeline<number>("p")
        .from([0, 1, 2, 3, 4])
        .map(
          faults({ fail: [1, 3] })((x: number) => (calls.push(x), x * 10)),
          { name: "f", onError: "dead-letter" },
        );
      assert.equal(p.plan().stages.find((s) => s.name === "f")!.fused, true, "a sync function stays sync");
      const out: number[] = [];
      const result = await p.to((x) => void out.push(x)).run();
      assert.deepEqual(out, [0, 20, 40]);
      assert.deepEqual(calls, [0, 2, 4], "a failed item never reaches the function");
      assert.deepEqual(
        result.deadLetters.map((d) => d.index),
        [1, 3],
      );
      const e = result.deadLetters[0]!.error;
      assert.ok(InjectedFaultError.is(e) && WeirError.is(e));
      assert.equal(e.code, "WEIR_INJECTED_FAULT");
      assert.equal(e.index, 1);
    });

    it("attempts: faults hit only the first attempts, so a retry gets through", async () => {
      const out: number[] = [];
      await pipeline<number>("p")
        .from([0, 1, 2])
        .map(faults({ fail: [1], attempts: 1 })(identity), { retry: { attempts: 2, baseMs: 0 } })
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(out, [0, 1, 2]);
      await assert.rejects(
        pipeline<number>("p")
          .from([0, 1, 2])
          .map(faults({ fail: [1], attempts: 2 })(identity), { retry: { attempts: 2, baseMs: 0 } })
          .to(() => {})
          .run(),
        (e: unknown) => StageError.is(e) && e.attempts === 2 && InjectedFaultError.is(e.cause),
      );
    });

    it("error: a failing call throws your own error", async () => {
      const result = await pipeline<number>("p")
        .from([0, 1])
        .map(faults({ fail: [0], error: (i) => new RangeError(`no ${i}`) })(identity), { onError: "dead-letter" })
        .to(() => {})
        .run();
      const e = result.deadLetters[0]!.error;
      assert.ok(e instanceof RangeError);
      assert.equal(e.message, "no 0");
    });

    it("hang: the item waits until its signal aborts (here its timeoutMs, on a ManualClock); delayMs slows an item", async () => {
      const clock = new ManualClock();
      const arrived: Array<[number, number]> = [];
      const run = pipeline<number>("p")
        .from([0, 1, 2, 3])
        .map(faults({ hang: [1], delayMs: { 2: 100 }, clock })(identity), {
          timeoutMs: 1_000,
          onError: "dead-letter",
          concurrency: 4,
          ordered: false,
        })
        .to((x) => void arrived.push([x, clock.now()]))
        .run({ clock });
      await clock.runAll();
      const result = await run;
      assert.deepEqual(arrived, [
        [0, 0],
        [3, 0],
        [2, 100],
      ]);
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, (d.error as Error).name]),
        [[1, "TimeoutError"]],
      );
    });

    it("validates its options with InvalidOptionError", () => {
      assert.throws(() => faults({ fail: [-1] }), InvalidOptionError);
      assert.throws(() => faults({ hang: [1.5] }), InvalidOptionError);
      assert.throws(() => faults({ delayMs: { x: 1 } as unknown as Record<number, number> }), InvalidOptionError);
      assert.throws(() => faults({ attempts: 0 }), InvalidOptionError);
      assert.throws(
        () => faults({ fial: [1] } as never),
        (e: unknown) => e instanceof InvalidOptionError && /did you mean "fail"/.test(e.message),
      );
    });
  });

  describe("poolFaults()", () => {
    for (const context of ["worker", "process"] as const) {
      it(`${context}: crashes its worker on the chosen item; a retry runs it in a fresh one`, async () => {
        const out: number[] = [];
        const result = await pipeline<number>("p")
          .from([0, 1, 2, 3, 4])
          .map(poolFaults<number>(context, { crash: [3], attempts: 1, exitCode: 9 }, { maxWorkers: 1 }), {
            name: "pool",
            retry: { attempts: 2, baseMs: 0, retryIf: (e) => WorkerCrashedError.is(e) },
          })
          .to((x) => void out.push(x))
          .run();
        assert.deepEqual(out, [0, 1, 2, 3, 4]);
        assert.ok(result.stats.pool!.retries >= 1, "item 3 was retried");
      });
    }

    it("process: without a retry the crash fails the item with WEIR_WORKER_CRASHED and its exit code", async () => {
      const result = await pipeline<number>("p")
        .from([0, 1, 2])
        .map(poolFaults<number>("process", { crash: [1], exitCode: 9 }, { maxWorkers: 1, maxBatchSize: 1 }), {
          onError: "dead-letter",
        })
        .to(() => {})
        .run();
      const crashed = result.deadLetters.find((d) => d.index === 1);
      assert.ok(crashed !== undefined, JSON.stringify(result.deadLetters));
      assert.ok(WorkerCrashedError.is(crashed.error), String(crashed.error));
      assert.equal(crashed.error.exitCode, 9);
    });

    it("worker: fail gives an error with code WEIR_INJECTED_FAULT; refuses workerData", async () => {
      const result = await pipeline<number>("p")
        .from([0, 1])
        .map(poolFaults<number>("worker", { fail: [0] }, { maxWorkers: 1 }), { onError: "dead-letter" })
        .to(() => {})
        .run();
      assert.equal((result.deadLetters[0]!.error as { code?: string }).code, "WEIR_INJECTED_FAULT");
      assert.throws(() => poolFaults("worker", {}, { workerData: 1 } as never), InvalidOptionError);
      assert.throws(() => poolFaults("thread" as never, {}), InvalidOptionError);
    });
  });
});
