import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Executor } from "../../src/executor/Executor.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { child, pipeline, worker, type PoolOptions } from "../../src/index.js";
import { fns } from "./harness.js";

/** What `reportRetryAfter` (fixture) takes and returns. */
interface Ask {
  readonly ms?: number;
  readonly v?: number;
  readonly k?: string;
  readonly throws?: boolean;
  readonly wait?: number;
}
interface Told {
  readonly v: number;
  readonly k: string;
  readonly at: number;
}

const contexts = [
  ["worker", worker, {}],
  ["child (msgpack)", child, { wire: "msgpack" }],
  ["child (ipc)", child, { wire: "ipc" }],
] as const satisfies ReadonlyArray<readonly [string, typeof worker | typeof child, PoolOptions]>;

/**
 * Executes `items` in one tick, each attempt with a `retryAfter` of its own; resolves with one log
 * per item: `ra:<ms>` for each Retry-After reported, then `ok` or `err`.
 */
function run(exec: Executor, items: readonly Ask[]): Promise<string[][]> {
  const signal = new AbortController().signal;
  return Promise.all(
    items.map(
      (item, index) =>
        new Promise<string[]>((resolve) => {
          const log: string[] = [];
          exec.execute(
            { item, index, attempt: 1, signal, retryAfter: (ms) => void log.push(`ra:${ms}`) },
            {
              resolve: () => {
                log.push("ok");
                resolve(log);
              },
              reject: () => {
                log.push("err");
                resolve(log);
              },
            },
          );
        }),
    ),
  );
}

const now = (): number => performance.timeOrigin + performance.now();

describe("ctx.retryAfter in worker and child stages", () => {
  for (const [label, make, options] of contexts) {
    describe(label, () => {
      it("the attempt's retryAfter gets what the function passed, before it settles, sync or async, resolved or rejected", async () => {
        const e = createExecutor(make<Ask, Told>(fns, "reportRetryAfter", { maxWorkers: 1, ...options }), "ra");
        try {
          const logs = await run(e, [
            { ms: 250, v: 0 },
            { v: 1 },
            { ms: 100, throws: true },
            { ms: 50, wait: 5, v: 3 },
            { ms: 30, wait: 5, throws: true },
            { v: 5, wait: 1 },
          ]);
          assert.deepEqual(logs, [
            ["ra:250", "ok"],
            ["ok"],
            ["ra:100", "err"],
            ["ra:50", "ok"],
            ["ra:30", "err"],
            ["ok"],
          ]);
          // a batch where nobody asks: no call
          assert.deepEqual(await run(e, [{ v: 0 }, { v: 1, wait: 1 }]), [["ok"], ["ok"]]);
        } finally {
          await e.close();
        }
      });

      it("with a rateLimit on the stage, the run's stats count the penalty", async () => {
        const out: number[] = [];
        const result = await pipeline("ra")
          .from<Ask>([{ ms: 20, v: 0 }, { v: 1 }, { v: 2 }])
          .map(make<Ask, Told>(fns, "reportRetryAfter", { maxWorkers: 1, ...options }), {
            name: "call",
            rateLimit: { perSecond: 1000 },
          })
          .to((x) => void out.push(x.v))
          .run();
        assert.deepEqual(out, [0, 1, 2]);
        assert.equal(result.stats.call!.penalties, 1);
      });

      it("with a keyed rateLimit, a Retry-After holds that key only", async () => {
        let open!: () => void;
        const gate = new Promise<void>((r) => (open = r));
        async function* source(): AsyncGenerator<Ask> {
          yield { k: "a", v: 0, ms: 400 };
          await gate; // until item 0 is out: its penalty is in force
          yield { k: "a", v: 1 };
          yield { k: "b", v: 2 };
        }
        const seen = new Map<number, Told & { out: number }>();
        const result = await pipeline("ra-key")
          .from(source)
          .map(make<Ask, Told>(fns, "reportRetryAfter", { maxWorkers: 2, ...options }), {
            name: "call",
            concurrency: 2,
            rateLimit: { key: (x: Ask) => x.k ?? "", perKey: { perSecond: 100, burst: 10 } },
          })
          .to((x) => {
            seen.set(x.v, { ...x, out: now() });
            if (x.v === 0) open();
          })
          .run();
        assert.equal(result.stats.call!.penalties, 1);
        const a0 = seen.get(0)!;
        const a1 = seen.get(1)!;
        const b2 = seen.get(2)!;
        assert.ok(
          a1.at - a0.out >= 300,
          `key "a" held about 400 ms after its Retry-After (held ${Math.round(a1.at - a0.out)} ms)`,
        );
        assert.ok(b2.at < a1.at, 'key "b" is not held by key "a"\'s Retry-After');
      });
    });
  }
});
