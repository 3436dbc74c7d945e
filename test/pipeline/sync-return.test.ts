import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pipeline } from "../../src/index.js";

/**
 * A sink or stage whose function returns a non-promise is not awaited: the items waiting in its
 * channel go through it in the same turn. The probe is a microtask queued by the first call: had
 * the runner awaited the return value, the next item would run after it.
 */
describe("the sync-return fast path", () => {
  for (const context of ["inline", "async"] as const) {
    // at concurrency 1: above it, a window refills once per burst of settles (a microtask)
    for (const concurrency of [1]) {
      it(`a sink that returns a non-promise is not awaited (context ${context}, concurrency ${concurrency})`, async () => {
        const log: Array<number | "microtask"> = [];
        await pipeline<number>("sync")
          .from(Array.from({ length: 10 }, (_, i) => i))
          .to(
            (x) => {
              if (x === 0) queueMicrotask(() => log.push("microtask"));
              log.push(x);
              return x === 100 ? Promise.resolve() : undefined;
            },
            { context, concurrency },
          )
          .run();
        assert.equal(log.length, 11);
        assert.ok(log.indexOf("microtask") >= 8, `items before the probe: ${log.join(", ")}`);
      });
    }
  }

  it("one that returns a promise now and then is awaited only then, in order", async () => {
    const log: number[] = [];
    await pipeline<number>("sometimes")
      .from(Array.from({ length: 3000 }, (_, i) => i))
      .to((x) => {
        log.push(x);
        return x % 1000 === 999 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined;
      })
      .run();
    assert.deepEqual(
      log,
      Array.from({ length: 3000 }, (_, i) => i),
    );
  });
});
