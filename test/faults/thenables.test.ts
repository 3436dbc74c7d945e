import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pipeline, workflow } from "../../src/index.js";

/**
 * Stage and task functions may return any thenable, not only a promise. Some break the contract
 * (a legacy deferred, a hand-written `then`): they call back twice, or both ways, throw from
 * `then`, or from a `then` getter. Each item or task must still settle exactly once, as `await`
 * would settle it, and nothing may reach the process.
 */
const items = Array.from({ length: 40 }, (_, i) => i);

/** Calls back with `x`, then with another value, then fails: only the first call counts. */
const twice = (x: number): PromiseLike<number> => ({
  then(onValue, onError) {
    onValue?.(x);
    onValue?.(x + 1000);
    onError?.(new Error("late failure"));
    return undefined as never;
  },
});

/** Its `then` throws (for odd items): the item fails with that error. */
const throwsFromThen = (x: number): PromiseLike<number> | number =>
  x % 2 === 0
    ? x
    : {
        then() {
          throw new Error(`then of ${x} threw`);
        },
      };

/** Reading its `then` throws (for odd items): the item fails with that error. */
const throwsFromGetter = (x: number): PromiseLike<number> | number =>
  x % 2 === 0
    ? x
    : (Object.defineProperty({}, "then", {
        get() {
          throw new Error(`reading then of ${x} threw`);
        },
      }) as PromiseLike<number>);

describe("a stage function that returns a thenable breaking the contract", { timeout: 30_000 }, () => {
  for (const concurrency of [1, 8]) {
    it(`one that calls back twice and then fails settles each item once (concurrency ${concurrency})`, async () => {
      const out: number[] = [];
      const result = await pipeline<number>("twice")
        .from(items)
        .map(twice, { name: "m", concurrency })
        .to((x: number) => void out.push(x))
        .run();
      assert.deepEqual(out, items);
      const m = result.stats.m!;
      assert.equal(m.in, 40);
      assert.equal(m.out, 40);
      assert.equal(m.errors, 0);
      assert.equal(m.inFlight, 0);
    });

    for (const [name, fn, message] of [
      ["throws from then", throwsFromThen, "then of"],
      ["throws from a then getter", throwsFromGetter, "reading then of"],
    ] as const) {
      it(`one that ${name} fails that item only (concurrency ${concurrency})`, async () => {
        const out: number[] = [];
        const failures: string[] = [];
        const run = pipeline<number>("bad-then")
          .from(items)
          .map(fn, { name: "m", concurrency, onError: "skip" })
          .to((x: number) => void out.push(x))
          .run();
        run.on("stage:error", (e) => void failures.push(`${e.action}: ${(e.error as Error).message}`));
        const result = await run;
        assert.deepEqual(
          out,
          items.filter((x) => x % 2 === 0),
        );
        assert.equal(result.stats.m!.errors, 20);
        assert.equal(failures.length, 20);
        assert.ok(
          failures.every((m) => m.startsWith(`skip: ${message}`)),
          failures[0],
        );
      });
    }
  }
});

describe("a workflow task that returns a thenable breaking the contract", { timeout: 30_000 }, () => {
  it("one that calls back twice and then fails completes once, with the first value", async () => {
    let dependentRuns = 0;
    const r = await workflow("twice")
      .task("a", () => twice(7))
      .task("b", { after: ["a"] }, ({ results }) => {
        dependentRuns++;
        return results.a;
      })
      .run();
    assert.equal(r.ok, true);
    assert.equal(dependentRuns, 1);
    assert.equal(r.tasks.b!.result, 7);
  });

  it("one whose then getter throws fails the task; the run resolves with it", async () => {
    const r = await workflow("getter")
      .task("a", () => throwsFromGetter(1))
      .run();
    assert.equal(r.ok, false);
    assert.equal(r.tasks.a!.status, "failed");
    assert.match(String((r.tasks.a!.error as Error).message), /reading then of 1 threw/);
  });
});
