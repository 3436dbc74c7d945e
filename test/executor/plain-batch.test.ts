/**
 * A worker runs the items of a plain chain (one `map` whose function cannot see its context, no
 * timeout) in one loop (`WorkerRuntime.#runPlain`): a value, a throw, a promise and a thenable
 * each come back as the per-item path gives them, in place and in order, a result whose `then`
 * getter throws fails its item alone, and the promises in flight in a worker stay within
 * `concurrencyPerWorker`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, pipeline, worker } from "../../src/index.js";
import { codeOf, fns } from "./harness.js";

const n = 600;
const items = Array.from({ length: n }, (_, i) => i);

/** What `plainMixed` gives for `x`, its promises' `seen` left out. */
function expected(x: number): unknown {
  return x % 4 === 0 ? x + 1 : x % 4 === 2 ? { x } : x * 100;
}

for (const [context, make] of [
  ["threads", worker],
  ["child processes", child],
] as const) {
  describe(`a plain chain's batches in its worker (${context})`, () => {
    for (const perWorker of [1, 2]) {
      it(`values, throws, promises and thenables, in order; at most ${perWorker} promise(s) in flight a worker`, async () => {
        const out: unknown[] = [];
        const result = await pipeline<number>("plain")
          .from(items)
          .map(make<number, unknown>(fns, "plainMixed", { maxWorkers: 2, concurrencyPerWorker: perWorker }), {
            name: "w",
            concurrency: 2,
            onError: "dead-letter",
          })
          .to((v) => void out.push(v))
          .run();
        const failing = (x: number): boolean => x % 4 === 1 || x === 7;
        const kept = items.filter((x) => !failing(x));
        assert.equal(out.length, kept.length);
        const seen: number[] = [];
        out.forEach((v, k) => {
          const x = kept[k]!;
          if (x % 4 === 2) {
            const { seen: s, ...rest } = v as { x: number; seen: number };
            seen.push(s);
            assert.deepEqual(rest, expected(x), `item ${x}`);
          } else assert.deepEqual(v, expected(x), `item ${x}`);
        });
        assert.ok(Math.max(...seen) <= perWorker, `promises in flight at once: ${Math.max(...seen)}`);
        assert.deepEqual(
          result.deadLetters.map((d) => d.index).sort((a, b) => a - b),
          items.filter(failing),
        );
        for (const d of result.deadLetters) {
          assert.equal(codeOf(d.error), d.index === 7 ? "E_THEN" : "E_PLAIN");
          assert.equal((d.error as Error).message, d.index === 7 ? "then getter 7" : `plain ${d.index}`);
        }
        const w = result.stats.w!;
        assert.equal(w.in, n);
        assert.equal(w.out, kept.length);
        assert.equal(w.inFlight, 0);
      });
    }
  });
}
