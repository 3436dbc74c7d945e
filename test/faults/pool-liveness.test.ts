// Liveness of pool workers without a timeout: a child process frozen by SIGSTOP is found by its
// unanswered heartbeats and the system's report that it is stopped, killed and replaced; a worker
// busy with a long synchronous computation is left alone by default; `unresponsiveMs` replaces a
// worker whose loop stays silent whatever it does (a native deadlock, an endless loop).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, pipeline, WeirError, worker } from "../../src/index.js";
import { isAlive } from "../executor/harness.js";

const inWorker = new URL("../fixtures/faults/inWorker.mjs", import.meta.url);

/** Resolves with `p`'s outcome, or "hung" after `ms` (a hang guard: the test fails instead of the run hanging). */
async function orHung<T>(p: PromiseLike<T>, ms: number): Promise<T | "hung"> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), ms)));
  try {
    return await Promise.race([Promise.resolve(p), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `signal` to `pid`, ignoring a process that is gone. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

describe("pool liveness", () => {
  it("process: a child frozen by SIGSTOP mid-run is killed and replaced (default options); an ordered run without timeoutMs completes", async () => {
    const stopped: number[] = [];
    const out: number[] = [];
    const run = pipeline<number>("frozen")
      .from(Array.from({ length: 400 }, (_, i) => i))
      .map(child<number, { x: number; pid: number }>(inWorker, "slowPid", { maxWorkers: 2 }), {
        name: "work",
        concurrency: 2,
        retry: 2,
      })
      .tap((r) => {
        // freeze the worker that answered first, while it holds more items
        if (stopped.length === 0) {
          stopped.push(r.pid);
          process.kill(r.pid, "SIGSTOP");
        }
      })
      .to((r) => void out.push(r.x))
      .run();
    try {
      const result = await orHung(run, 60_000);
      assert.notEqual(result, "hung", `the run stalled with ${out.length} of 400 items done`);
      assert.deepEqual(
        out,
        Array.from({ length: 400 }, (_, i) => i),
      );
      assert.equal(stopped.length, 1);
      assert.ok(!isAlive(stopped[0]!), "the frozen child was killed");
    } finally {
      for (const pid of stopped) signal(pid, "SIGCONT");
      await orHung(
        run.then(undefined, () => {}),
        30_000,
      );
    }
  });

  for (const [label, make] of [
    ["thread", worker],
    ["process", child],
  ] as const) {
    it(`${label}: a synchronous computation of many heartbeats is not killed by default`, async () => {
      const stage = make<unknown, { worker: string }>(inWorker, "freeze", { maxWorkers: 1, heartbeatMs: 20 });
      const out: string[] = [];
      await pipeline<unknown>("busy")
        .from([1, { busyMs: 600 }, 2])
        .map(stage, { name: "busy" })
        .to((r) => void out.push(r.worker))
        .run();
      assert.equal(out.length, 3);
      assert.equal(new Set(out).size, 1, "one worker ran all three: the busy one was not replaced");
    });

    it(`${label}: unresponsiveMs replaces a worker whose loop stays silent (a native deadlock); later items run`, async () => {
      const stage = make<unknown, { worker: string }>(inWorker, "freeze", {
        maxWorkers: 1,
        heartbeatMs: 100,
        unresponsiveMs: 1000,
      });
      const result = await orHung(
        pipeline<unknown>("deadlock")
          .from(["hang", 1, 2])
          .map(stage, { name: "hang", onError: "dead-letter" })
          .to(() => {})
          .run(),
        90_000,
      );
      assert.notEqual(result, "hung", "the deadlocked worker was never replaced");
      if (result === "hung") return;
      assert.deepEqual(
        result.deadLetters.map((d) => d.item),
        ["hang"],
      );
      const error = result.deadLetters[0]!.error;
      assert.ok(WeirError.is(error));
      assert.equal(error.code, "WEIR_WORKER_CRASHED");
      assert.match(error.message, /did not answer heartbeats for 1000 ms/);
      assert.equal(result.stats.hang?.out, 2);
    });
  }
});
