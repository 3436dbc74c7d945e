import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow, type Attempt, type Executor, type Settle, type TaskInfo } from "../../src/index.js";

/** A stand-in for a worker pool: records what it was given and runs `work` on the item. */
class FakePool implements Executor {
  readonly context = "worker" as const;
  readonly attempts: Attempt[] = [];
  closed = 0;
  constructor(
    readonly info: TaskInfo,
    readonly work: (item: unknown, attempt: number) => unknown,
  ) {}
  window(concurrency: number): number {
    return concurrency;
  }
  execute(attempt: Attempt, settle: Settle): void {
    this.attempts.push(attempt);
    queueMicrotask(() => {
      try {
        settle.resolve(this.work(attempt.item, attempt.attempt));
      } catch (e) {
        settle.reject(e);
      }
    });
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

describe("executor hook (worker and process contexts plug in here)", () => {
  it("runs the task's attempts on the executor with the dependencies' results as the item", async () => {
    const pools: FakePool[] = [];
    const r = await workflow("w")
      .task("extract", () => [1, 2, 3])
      .task(
        "sum",
        {
          after: ["extract"],
          context: "worker",
          retry: { attempts: 2, baseMs: 0 },
          executor: (info) => {
            const pool = new FakePool(info, (item, attempt) => {
              if (attempt === 1) throw new Error("worker crashed");
              return (item as { extract: number[] }).extract.reduce((a, b) => a + b, 0);
            });
            pools.push(pool);
            return pool;
          },
        },
        (): number => {
          throw new Error("the main-loop function is not called");
        },
      )
      .run();
    assert.equal(r.ok, true);
    assert.equal(r.results.sum, 6);
    assert.equal(pools.length, 1, "one executor per task per run");
    assert.deepEqual(pools[0]!.info, { workflow: "w", task: "sum", context: "worker" });
    assert.deepEqual(
      pools[0]!.attempts.map((a) => a.attempt),
      [1, 2],
    );
    assert.equal(pools[0]!.closed, 1, "closed when the run ended");
  });

  it("a throwing executor factory fails the task", async () => {
    const r = await workflow("w")
      .task(
        "a",
        {
          context: "process",
          executor: () => {
            throw new Error("no pool");
          },
        },
        () => 1,
      )
      .run();
    assert.equal(r.tasks.a?.status, "failed");
  });
});
