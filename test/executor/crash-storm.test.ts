import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { WorkerCrashedError } from "../../src/errors/WorkerCrashedError.js";
import { pools } from "../../src/executor/pool/workers/PoolRegistry.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { child, pipeline, worker } from "../../src/index.js";
import { attempt, groupMembers, isAlive } from "./harness.js";

const crash = new URL("../fixtures/workers/crash.mjs", import.meta.url);

type Item = { i: number; crash?: "first" | "always" };
type Out = { i: number; attempt: number; pid: number };

/** Active resource types (timers and immediates included), sorted. */
const resources = (): string[] => process.getActiveResourcesInfo().sort();

/** The entries of `now` beyond those of `before`, counted as multisets. */
function beyond(now: readonly string[], before: readonly string[]): string[] {
  const left = [...before];
  return now.filter((r) => {
    const i = left.indexOf(r);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

/** Child processes of this test process (`pid stat args` lines), `ps` itself left out. */
function children(): string[] {
  const out = execFileSync("ps", ["-o", "pid=,stat=,args=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^\d+\s+\S+\s+ps\b/.test(l));
}

/**
 * Waits, one loop turn at a time, until `done` holds (an exited child's process handle is closed
 * a loop turn after its exit event); gives up after `ms`, so a real leak fails the assertion
 * that follows.
 */
async function settle(done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await new Promise((r) => setImmediate(r));
}

/**
 * Starts and closes a pool of this context once, so what stays for good after a first pool
 * (esbuild's service processes, which bundled the worker entry; their handles are unref'd) is in
 * the baseline.
 */
async function warmUp(make: typeof worker): Promise<void> {
  const e = createExecutor(make(crash, "crashOn", { maxWorkers: 1 }), "warm-up");
  assert.equal((await attempt(e, { i: 0 })).ok, true);
  await e.close();
}

const contexts = [
  ["worker", worker, 500],
  // a crashed child process costs a respawn of ~50 ms: fewer normal items, the same 100 crashers
  ["child", child, 300],
] as const;

for (const [label, make, total] of contexts) {
  describe(`a crash storm in a pipeline: ${label}()`, () => {
    it(`100 items among ${total} exit their worker: every item settles once, the pool returns to its minimum, nothing leaks`, async () => {
      const step = total / 100;
      // every `step`-th item is poison: half crash on their first attempt only, half on every attempt
      const items: Item[] = Array.from({ length: total }, (_, i) =>
        i % step === 1 ? { i, crash: ((i - 1) / step) % 2 === 0 ? "first" : "always" } : { i },
      );
      const firstOnly = items.filter((x) => x.crash === "first").map((x) => x.i);
      const always = items.filter((x) => x.crash === "always").map((x) => x.i);
      assert.equal(firstOnly.length + always.length, 100);

      // the idle baseline: resources (ref'd handles, timers, immediates) of this process before any
      // pool of this test; child processes once a first pool has come and gone
      const resourcesBefore = resources();
      await warmUp(make);
      const childrenBefore = children();
      const poolsBefore = pools.size;
      const options = { minWorkers: 1, maxWorkers: 2, idleTimeoutMs: 20 };
      // an executor on the same module and options shares the stage's pool and keeps it open
      // after the run, so the test can watch it go back to its minimum
      const keeper = createExecutor(make<Item, Out>(crash, "crashOn", options), "keeper");
      const pool = keeper.pool;
      let closed = false;
      try {
        const out: Out[] = [];
        let most = 0;
        const watch = setInterval(() => (most = Math.max(most, pool.size)), 1);
        const result = await pipeline(`storm-${label}`)
          .from(items)
          .map(make<Item, Out>(crash, "crashOn", options), {
            name: "storm",
            concurrency: 2,
            retry: { attempts: 2, baseMs: 1 },
            onError: "dead-letter",
          })
          .to((x) => void out.push(x))
          .run()
          .finally(() => clearInterval(watch));
        assert.equal(most, 2, "the pool grew to maxWorkers during the storm");

        // every item exactly once: in the output or among the dead letters
        const seen = [...out.map((o) => o.i), ...result.deadLetters.map((d) => d.index)].sort((a, b) => a - b);
        assert.deepEqual(
          seen,
          items.map((x) => x.i),
          "each index exactly once",
        );
        assert.equal(out.length + result.deadLetters.length, total);
        // those that crash every time are dead-lettered with the crash, after both attempts
        assert.deepEqual(
          result.deadLetters.map((d) => d.index).sort((a, b) => a - b),
          always,
        );
        for (const d of result.deadLetters) {
          assert.equal(d.stage, "storm");
          assert.ok(d.error instanceof WorkerCrashedError, `dead letter ${d.index}: ${String(d.error)}`);
          assert.equal(d.error.code, "WEIR_WORKER_CRASHED");
          assert.equal(d.error.exitCode, 1);
          assert.equal(d.attempts, 2);
        }
        // those that crash once come out of their retry; the others never counted a failed attempt
        const byIndex = new Map(out.map((o) => [o.i, o]));
        for (const i of firstOnly) assert.equal(byIndex.get(i)?.attempt, 2, `item ${i}`);
        for (const x of items) if (x.crash === undefined) assert.equal(byIndex.get(x.i)?.attempt, 1, `item ${x.i}`);
        const stats = result.stats.storm!;
        assert.equal(stats.in, total);
        assert.equal(stats.out, total - always.length);
        assert.equal(stats.retries, 100, "each poison item retried once; no other item retried");

        // the pool goes back to its minimum: one idle worker, no item, the run's chain forgotten
        await pool.atMinimum();
        assert.equal(pool.running, 1);
        assert.equal(pool.size, 1);
        assert.equal(pool.chainCount, 1, "only the keeper's chain is left");

        await keeper.close();
        closed = true;
        assert.equal(pool.running, 0);
        assert.equal(pools.size, poolsBefore, "the pool left the registry");
        // nothing left behind: no worker thread, child process, pipe or timer
        await settle(
          () => beyond(resources(), resourcesBefore).length === 0 && beyond(children(), childrenBefore).length === 0,
        );
        assert.deepEqual(beyond(resources(), resourcesBefore), [], `resources before: ${resourcesBefore.join(", ")}`);
        assert.deepEqual(beyond(children(), childrenBefore), [], "child processes left");
        if (label === "child") {
          // every process that ran an item is gone, and so is its process group (it led one)
          const pids = [...new Set(out.map((o) => o.pid))];
          assert.ok(pids.length >= 2, `${pids.length} processes ran items`);
          for (const pid of pids) {
            assert.equal(isAlive(pid), false, `process ${pid} still runs`);
            assert.deepEqual(groupMembers(pid), [], `left in group ${pid}`);
          }
        }
      } finally {
        if (!closed) await keeper.close();
      }
    });
  });
}
