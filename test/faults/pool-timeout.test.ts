// A synchronous item that never returns, in a pool stage with a timeout: it fails with a
// TimeoutError at its own timeout (counted from its start in the worker, which notes each item's
// start to the pool), its batch-mates go to another worker at once, and its worker is stopped
// only after `cancelGraceMs`. Ordering of events, not wall-clock time, tells it apart.
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { child, pipeline, WeirError, worker } from "../../src/index.js";
import { isAlive } from "../executor/harness.js";

const inWorker = new URL("../fixtures/faults/inWorker.mjs", import.meta.url);

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "weir-stuck-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Item = number | { spin: string; log?: string };

/**
 * The stage's timeout: the stuck item's, and every tiny item's too. A worker that the machine does
 * not schedule for that long cannot be told from one stuck in an item (a tiny item of a child
 * process timed out at 300 ms once in CI, with other test files loading both cores), so it is
 * far above what a tiny item takes even then.
 */
const TIMEOUT_MS = 1_000;

for (const [label, make] of [
  ["thread", worker],
  ["process", child],
] as const) {
  describe(`${label} pool: a stuck synchronous item with timeoutMs`, () => {
    it("fails with WEIR_TIMEOUT at its own timeout, and its batch-mates complete on another worker after that, before the stuck worker is stopped", async () => {
      const pidFile = join(dir, `${label}-pid`);
      // the first item spins: nothing of its batch can come back before it fails
      const items: Item[] = Array.from({ length: 10 }, (_, i) => (i === 0 ? { spin: pidFile } : i));
      const events: string[] = [];
      /** For a process: whether the stuck child was alive at each event. */
      const alive: boolean[] = [];
      const stuckAlive = (): void => {
        if (make === child) alive.push(isAlive(Number(readFileSync(pidFile, "utf8"))));
      };
      const run = pipeline<Item>("stuck")
        .from(items)
        .map(make<Item, { x: number }>(inWorker, "spinOn", { maxWorkers: 2, cancelGraceMs: 10_000 }), {
          name: "spin",
          concurrency: 2,
          ordered: false,
          timeoutMs: TIMEOUT_MS,
          onError: "dead-letter",
        })
        .to((r) => {
          events.push(`done ${r.x}`);
          stuckAlive();
        })
        .run();
      run.on("stage:error", (e) => {
        events.push(`error ${e.index} ${(e.error as { code?: string }).code} attempt ${e.attempt}`);
        stuckAlive();
      });
      const result = await run;
      // the events name every item that failed, and when: say them if more than one did
      assert.equal(result.deadLetters.length, 1, events.join(", "));
      const letter = result.deadLetters[0]!;
      assert.equal(letter.index, 0);
      assert.equal(letter.attempts, 1);
      assert.ok(WeirError.is(letter.error));
      assert.equal(letter.error.code, "WEIR_TIMEOUT");
      // the stuck item failed first: its batch-mates (sent with it, to one worker) were not held
      // behind it until its worker was stopped, nor was it found only by running it again alone
      assert.equal(events[0], "error 0 WEIR_TIMEOUT attempt 1", events.join(", "));
      assert.deepEqual(
        events
          .slice(1)
          .map((e) => Number(e.split(" ")[1]))
          .sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      if (make === child) assert.ok(alive.every(Boolean), "every item settled before the stuck child was killed");
    });

    it(`among thousands of tiny items (a batch noted once, not item by item) it still fails alone with WEIR_TIMEOUT; every other item completes${make === worker ? "; a thread's is found in its first run, before any worker is stopped" : ""}`, async () => {
      const log = join(dir, `${label}-fast-runs`);
      const items: Item[] = Array.from({ length: 5000 }, (_, i) =>
        i === 4000 ? { spin: join(dir, `${label}-fast-pid`), log } : i,
      );
      const events: string[] = [];
      const onExit = (): void => void events.push("worker exit");
      diagnostics_channel.subscribe("weir:pool:worker:exit", onExit);
      try {
        let done = 0;
        const run = pipeline<Item>("stuck-among-fast")
          .from(items)
          .map(make<Item, { x: number }>(inWorker, "spinOn", { maxWorkers: 2 }), {
            name: "spin",
            concurrency: 2,
            timeoutMs: TIMEOUT_MS,
            onError: "dead-letter",
          })
          .to(() => void done++)
          .run();
        run.on("stage:error", (e) => void events.push(`error ${e.index} ${(e.error as { code?: string }).code}`));
        const result = await run;
        assert.deepEqual(
          result.deadLetters.map((d) => [d.index, (d.error as { code?: string }).code, d.attempts]),
          [[4000, "WEIR_TIMEOUT", 1]],
        );
        assert.equal(done, 4999);
        if (make === worker) {
          // a thread writes which item it is in to memory it shares with the pool, which finds it
          // in the same item a timeout apart; a child is not read so (its batch runs past its limit,
          // the child is stopped, and the batch's items go again alone, the stuck one included)
          assert.equal(events[0], "error 4000 WEIR_TIMEOUT", events.join(", "));
          assert.equal(readFileSync(log, "utf8"), "spin\n", "the stuck item ran once");
        }
      } finally {
        diagnostics_channel.unsubscribe("weir:pool:worker:exit", onExit);
      }
    });

    it("a worker that comes back after its item was judged stuck runs none of what the pool took from it: each item after the stuck one runs once", async () => {
      // one worker, batches of up to 8: the stuck item's batch-mates after it, and the batch
      // queued behind it, were taken from the worker at the item's timeout. The worker then comes
      // back (the item returns), with cancelGraceMs long enough to keep it, and must not run them:
      // the pool sends them again, to it or its successor.
      const log = join(dir, `${label}-runs`);
      type Logged = { x: number; log: string; blockMs?: number };
      const items: Logged[] = Array.from({ length: 24 }, (_, x) =>
        x === 0 ? { x, log, blockMs: 2 * TIMEOUT_MS } : { x, log },
      );
      const out: number[] = [];
      const result = await pipeline<Logged>("came-back-once")
        .from(items)
        .map(make<Logged, number>(inWorker, "runLogged", { maxWorkers: 1, maxBatchSize: 8, cancelGraceMs: 60_000 }), {
          name: "logged",
          timeoutMs: TIMEOUT_MS,
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, (d.error as { code?: string }).code]),
        [[0, "WEIR_TIMEOUT"]],
      );
      assert.deepEqual(
        out,
        items.slice(1).map((i) => i.x),
      );
      const runs = new Map<number, number>();
      for (const line of readFileSync(log, "utf8").trim().split("\n"))
        runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
      const twice = [...runs].filter(([, n]) => n !== 1).map(([x, n]) => `${x} ran ${n} times`);
      assert.deepEqual(twice, [], "every item ran once");
      assert.equal(runs.size, items.length);
    });
  });
}

describe("thread pool: an item that returns after its timeout was judged stuck", () => {
  it("frees its worker at once: the items taken from it while it was stuck run there, with no worker stopped or started", async () => {
    // batches of one item are noted item by item: the pool judges the busy item stuck at its
    // timeout, fails it, and takes the batch queued behind it away from its worker. With
    // maxWorkers 1 that batch has nowhere else to go: it waits for the worker to come back. A
    // short idle timeout ends a worker left idle meanwhile, and a new one would run the rest.
    const exits: unknown[] = [];
    const onExit = (m: unknown): void => void exits.push(m);
    diagnostics_channel.subscribe("weir:pool:worker:exit", onExit);
    try {
      const items: Array<number | { busyMs: number }> = [{ busyMs: 2 * TIMEOUT_MS }, 1, 2, 3];
      const out: Array<{ x: unknown; worker: string }> = [];
      /** Workers ended when each item came out (the run's end closes its pool after the last). */
      const exitsAtOut: number[] = [];
      const result = await pipeline<number | { busyMs: number }>("came-back")
        .from(items)
        .map(
          worker<number | { busyMs: number }, { x: unknown; worker: string }>(inWorker, "freeze", {
            maxWorkers: 1,
            maxBatchSize: 1,
            idleTimeoutMs: 100,
            cancelGraceMs: 60_000,
          }),
          { name: "busy", timeoutMs: TIMEOUT_MS, onError: "dead-letter" },
        )
        .to((r) => {
          out.push(r);
          exitsAtOut.push(exits.length);
        })
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, (d.error as { code?: string }).code]),
        [[0, "WEIR_TIMEOUT"]],
      );
      assert.deepEqual(
        out.map((r) => r.x),
        [1, 2, 3],
      );
      assert.equal(new Set(out.map((r) => r.worker)).size, 1, "one worker ran every item");
      assert.deepEqual(
        exitsAtOut,
        [0, 0, 0],
        `no worker ended before the last item came out: ${JSON.stringify(exits)}`,
      );
    } finally {
      diagnostics_channel.unsubscribe("weir:pool:worker:exit", onExit);
    }
  });
});
