import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { pipeline } from "../../src/index.js";
import { completeEntries, defineFleetScripts } from "../../src/fleet/protocol/fleetScripts.js";
import { fleet } from "../../src/redis.js";
import { startRedis } from "./redisServer.js";
import { killAll, startWorker, startWorkerEnv, tasksUrl, type WorkerProcess } from "./fleetHarness.js";
import { KeyedSink, pendingByConsumer, waitFor } from "./waitFor.js";

type Slow = { n: number; ms: number };
type Tagged = { n: number; pid: number };

/** The hook that holds a worker's first answer (after its items ran, before its answer script) until SIGCONT. */
const HOLD = { WEIR_TEST_HOLD_FIRST_ANSWER: "1" };

/** A sink that counts every item it gets (not idempotent) and, once it has `total`, waits for `open()`. */
class GatedSink {
  readonly seen = new KeyedSink<number>();
  #open: () => void = () => {};
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  constructor(readonly total: number) {}
  async add(n: number): Promise<void> {
    this.seen.add(n);
    if (this.seen.counts.size === this.total) await this.#gate;
  }
  open(): void {
    this.#open();
  }
}

describe("fleet: each item answered once (the run's done hash)", () => {
  it("the answer script answers a copy of an entry no more: whole copies are dropped, partial ones answer the rest", async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    try {
      defineFleetScripts(client);
      const q = "weir:q:m:f";
      const runs = [["weir:r:run1", "weir:run:run1", "weir:done:run1"]] as const;
      await client.set("weir:run:run1", "origin", "PX", 60_000);
      await client.xgroup("CREATE", q, "weir", "0", "MKSTREAM");
      const body = (text: string): Buffer => Buffer.from(text);
      // batch 7: an entry of positions 0..3, a copy of it, and a single split off it (position 2)
      const [whole, copy, single] = [
        await client.xadd(q, "*", "m", "batch"),
        await client.xadd(q, "*", "m", "batch copy"),
        await client.xadd(q, "*", "m", "single"),
      ];
      await client.xreadgroup("GROUP", "weir", "w1", "COUNT", 10, "STREAMS", q, ">");
      const answer = (id: string, first: number, size: number, mask = "", payload = body(`answer ${id}`)) =>
        completeEntries(client, q, "weir", "w1", runs, [{ id: id!, run: 0, batch: 7, first, size, mask, payload }]);

      assert.deepEqual(await answer(single!, 2, 1), { fenced: [], answeredBefore: [] });
      assert.equal(await client.hget("weir:done:run1", "7"), "2,1;");
      // the whole batch: position 2 was answered; nothing is written, the entry stays for the worker
      assert.deepEqual(await answer(whole!, 0, 4), { fenced: [], answeredBefore: [{ id: whole!, positions: [2] }] });
      assert.equal(await client.xlen("weir:r:run1"), 1);
      assert.equal(await client.xlen(q), 2, "the entry is still there (and its copy)");
      // answered again without position 2
      assert.deepEqual(await answer(whole!, 0, 4, "1101"), { fenced: [], answeredBefore: [] });
      assert.equal(await client.hget("weir:done:run1", "7"), "2,1;0,2;3,1;");
      assert.equal(await client.xlen("weir:r:run1"), 2);
      // the copy: every item answered already: acked and deleted, no reply
      assert.deepEqual(await answer(copy!, 0, 4), { fenced: [], answeredBefore: [{ id: copy!, positions: "all" }] });
      assert.equal(await client.xlen("weir:r:run1"), 2, "no second answer");
      assert.equal(await client.xlen(q), 0);
      assert.equal(Number(((await client.xpending(q, "weir")) as [number])[0]), 0);
      // the done hash expires with the run
      const ttl = await client.pttl("weir:done:run1");
      assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it("a worker SIGKILLed after running an entry, before its answer script: the entry is taken over and answered once", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    const dir = mkdtempSync(join(tmpdir(), "weir-once-"));
    const log = join(dir, "runs.log");
    try {
      const args = ["--lease-ms", "500", "--concurrency", "4"];
      const victim = await startWorkerEnv(redis.url, { ...HOLD, WEIR_TEST_RUN_LOG: log }, ...args);
      workers.push(victim);
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 12 }, (_, n) => ({ n, ms: 5 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, { n: number }>(tasksUrl, "logged", { redis: redis.url, maxBatchSize: 4 }))
        .to((r) => sink.add(r.n))
        .run();
      // it ran its first entry's items and holds the answer: killed there
      await victim.stderrHas("holding its first answer");
      victim.signal("SIGKILL");
      await victim.exit();
      workers.push(await startWorkerEnv(redis.url, { WEIR_TEST_RUN_LOG: log }, ...args));
      const result = await run;
      assert.equal(sink.counts.size, items.length, "every item completed");
      assert.deepEqual(sink.twice, [], "each answered once");
      assert.equal(result.deadLetters.length, 0);
      const runs = new KeyedSink<number>();
      for (const line of readFileSync(log, "utf8").trim().split("\n")) runs.add(Number(line.split(" ")[1]));
      assert.ok(runs.twice.length > 0, "the victim's items ran again on the other worker");
      assert.ok((result.stats.logged?.fleet?.redeliveries ?? 0) > 0, "the answers say they were redelivered");
    } finally {
      await killAll(workers);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an entry its first reader never answered, claimed by a worker serving other exports after it: run alone and answered", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    const client = new Redis(redis.url);
    try {
      // the origin sends one entry to tasks:double (the first export the worker serves); a reader
      // that is not a worker takes it and never answers, as a stopped worker's blocked read does
      const out: number[] = [];
      const run = pipeline<number>("claimed")
        .from([21])
        .map(fleet<number, number>(tasksUrl, "double", { redis: redis.url }))
        .to((n) => void out.push(n))
        .run();
      const q = "weir:q:tasks:double";
      await waitFor(async () => (await client.exists(q)) === 1 && (await client.xlen(q)) === 1, "the entry sent");
      await waitFor(
        async () =>
          ((await client.xreadgroup("GROUP", "weir", "ghost", "COUNT", 10, "STREAMS", q, ">")) ?? []).length > 0,
        "the ghost's read",
      );
      // the worker finds it idle past its lease and takes it over: a suspect (delivered before)
      // that runs alone; the worker must run it, not wait for room (it has none while a suspect
      // waits) with nothing else left to wake it
      const worker = await startWorker(redis.url, "--lease-ms", "300", "--concurrency", "4");
      workers.push(worker);
      let guard: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        run,
        new Promise<never>((_, reject) => {
          guard = setTimeout(
            () => reject(new Error(`the claimed entry never ran; worker log:\n${worker.stderr()}`)),
            30_000,
          );
        }),
      ]).finally(() => clearTimeout(guard));
      assert.deepEqual(out, [42]);
      assert.equal(result.deadLetters.length, 0);
    } finally {
      client.disconnect();
      await killAll(workers);
      await redis.stop();
    }
  });

  // A stopped worker's blocked read can still be handed an entry (Redis serves it; the reply
  // waits in its socket): the other worker claims it past the lease as a suspect, which runs
  // alone. This drill found a worker that claimed such an entry and never ran it.
  it("a worker SIGSTOPped with its answer ready, resumed after its entry was taken over: its late answer is dropped", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      const args = ["--lease-ms", "500", "--concurrency", "4"];
      const stopped = await startWorkerEnv(redis.url, HOLD, ...args);
      workers.push(stopped);
      const items = Array.from({ length: 12 }, (_, n) => ({ n, ms: 5 }));
      const sink = new GatedSink(items.length);
      const fromStopped: number[] = [];
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 4 }))
        .to(async (r) => {
          if (r.pid === stopped.pid) fromStopped.push(r.n);
          await sink.add(r.n);
        })
        .run();
      await stopped.stderrHas("holding its first answer");
      stopped.signal("SIGSTOP");
      workers.push(await startWorker(redis.url, ...args));
      // the other worker takes over what the stopped one held and answers every item; the run
      // stays open (the sink waits) so the late answer has a run to go to
      await waitFor(() => sink.seen.counts.size === items.length, "every item answered by the other worker");
      stopped.signal("SIGCONT");
      await stopped.stderrHas("taken over by another worker");
      sink.open();
      const result = await run;
      assert.deepEqual(sink.seen.twice, [], "the counting sink saw each item once");
      assert.equal(sink.seen.counts.size, items.length);
      assert.deepEqual(fromStopped, [], "nothing of the stopped worker's answer reached the origin");
      assert.equal(result.deadLetters.length, 0);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("two copies of an entry (the origin sent its batches again) held by two workers: the second answer is dropped in Redis", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    const client = new Redis(redis.url);
    try {
      // long leases: nothing is taken over here; the copies come from the origin
      const args = ["--lease-ms", "60000", "--concurrency", "4"];
      const first = await startWorkerEnv(redis.url, HOLD, ...args, "--prefetch", "8");
      workers.push(first);
      const items = Array.from({ length: 12 }, (_, n) => ({ n, ms: 5 }));
      const sink = new GatedSink(items.length);
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 4 }))
        .to((r) => sink.add(r.n))
        .run();
      // the first worker ran an entry and holds its answer; it is stopped there, holding entries
      await first.stderrHas("holding its first answer");
      await waitFor(async () => (await pendingByConsumer(redis.url, "tasks:slow")).size > 0, "entries held");
      first.signal("SIGSTOP");
      // the origin loses its run (its key gone, its connections cut): it declares the run again
      // and sends every batch in flight again, under the same batch ids
      const before = await client.xlen("weir:q:tasks:slow");
      const [runKey] = await client.keys("weir:run:*");
      await client.del(runKey!);
      const list = (await client.client("LIST")) as string;
      for (const line of list.split("\n"))
        if (line.includes("name=weir-origin")) await client.client("KILL", "ID", /id=(\d+)/.exec(line)![1]!);
      await waitFor(async () => (await client.xlen("weir:q:tasks:slow")) > before, "the batches sent again");
      // another worker answers every copy the stopped one does not hold (Redis may have handed
      // the stopped one a copy too: its read was blocked when the copies came)
      workers.push(await startWorker(redis.url, ...args));
      const heldByFirst = async (): Promise<number> =>
        [...(await pendingByConsumer(redis.url, "tasks:slow"))]
          .filter(([name]) => name.includes(`:${first.pid}:`))
          .reduce((sum, [, n]) => sum + n, 0);
      await waitFor(
        async () => (await client.xlen("weir:q:tasks:slow")) === (await heldByFirst()),
        "every entry but the stopped worker's answered",
      );
      // the first worker wakes and answers the entries it still holds (its lease is its own):
      // the done hash has their items, so no second answer is written
      first.signal("SIGCONT");
      await waitFor(() => first.stderr().includes("answered before"), "the first worker's answers to be dropped");
      sink.open();
      const result = await run;
      assert.deepEqual(sink.seen.twice, [], "the counting sink saw each item once");
      assert.equal(sink.seen.counts.size, items.length);
      assert.equal(result.deadLetters.length, 0);
      assert.doesNotMatch(first.stderr(), /taken over/, "its entries were still its own: the done hash dropped them");
    } finally {
      client.disconnect();
      await killAll(workers);
      await redis.stop();
    }
  });
});
