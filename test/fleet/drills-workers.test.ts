import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { pipeline } from "../../src/index.js";
import { fleet } from "../../src/redis.js";
import { startRedis } from "./redisServer.js";
import {
  fleetWithVictim,
  killAll,
  startWorker,
  startWorkerProcess,
  tasksPath,
  tasksUrl,
  type WorkerProcess,
} from "./fleetHarness.js";
import { KeyedSink, pendingByConsumer, waitFor } from "./waitFor.js";

type Slow = { n: number; ms: number };
type Tagged = { n: number; pid: number };

describe("fleet drills: workers", () => {
  it("SIGKILL a worker mid-batch: every item completes, none twice at a keyed sink", async () => {
    const {
      redis,
      workers,
      victim,
      items,
      sink,
      fromVictim,
      pipeline: p,
      close,
    } = await fleetWithVictim("drill", 300, 5);
    try {
      const run = p.run();
      // the victim is working: it answered some entries and holds others
      await waitFor(
        async () => fromVictim.length >= 16 && ((await pendingByConsumer(redis.url, "tasks:slow")).size ?? 0) > 0,
        "the victim to be mid-run",
      );
      victim.signal("SIGKILL");
      const result = await run;
      assert.equal(sink.counts.size, items.length, "every item completed");
      assert.deepEqual(sink.twice, [], "none twice");
      assert.equal(result.deadLetters.length, 0);
      await workers[1]!.stderrHas("serving");
    } finally {
      await close();
    }
  });

  it("SIGSTOP a worker past its lease, then SIGCONT: its entries are taken over, its late results discarded", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      const args = ["--lease-ms", "400", "--concurrency", "1", "--prefetch", "2"];
      const stopped = await startWorker(redis.url, ...args);
      workers.push(stopped);
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 80 }, (_, n) => ({ n, ms: 25 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 2 }))
        .to((r) => sink.add(r.n))
        .run();
      const held = async (): Promise<number> =>
        [...(await pendingByConsumer(redis.url, "tasks:slow"))].filter(([name]) => name.includes(`:${stopped.pid}:`))
          .length;
      await waitFor(async () => sink.counts.size > 0 && (await held()) > 0, "the worker to hold entries");
      stopped.signal("SIGSTOP");
      const other = await startWorker(redis.url, ...args);
      workers.push(other);
      // the other worker takes over what the stopped one held (its lease ran out)
      await waitFor(async () => (await held()) === 0, "the stopped worker's entries to be taken over");
      stopped.signal("SIGCONT");
      // it wakes up, finishes its item, and finds the entry is no longer its own
      await stopped.stderrHas("another worker");
      await run;
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, [], "no item counted twice");
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("a poison item that kills every worker taking it is dead-lettered after --max-deliveries; the fleet survives", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      // a lease long enough that a healthy worker starved of CPU on a loaded machine keeps its entries
      const args = ["--lease-ms", "1500", "--max-deliveries", "2"];
      for (let i = 0; i < 3; i++) workers.push(await startWorker(redis.url, ...args));
      const items = Array.from({ length: 40 }, (_, i) => (i === 17 ? "poison" : `item${i}`));
      const stage = fleet<string, string>(tasksUrl, "poison", { redis: redis.url, maxBatchSize: 8 });
      const sink = new KeyedSink<string>();
      const result = await pipeline<string>("drill")
        .from(items)
        .map(stage, { onError: "dead-letter" })
        .to((x) => sink.add(x))
        .run();
      assert.equal(result.deadLetters.length, 1);
      const dead = result.deadLetters[0]!;
      assert.equal(dead.index, 17);
      assert.equal(dead.item, "poison");
      const error = dead.error as { code?: string; deliveries?: number };
      assert.equal(error.code, "WEIR_FLEET_DELIVERIES");
      assert.equal(error.deliveries, 2);
      assert.equal(sink.counts.size, 39);
      assert.deepEqual(sink.twice, []);
      // two deliveries: the batch's worker and the lone item's died (fewer if a lease ran out on a
      // starved worker first); the others still serve
      const alive = workers.filter((w) => !w.exited);
      assert.ok(alive.length >= 1 && alive.length <= 2, `alive: ${alive.length}`);
      const again = await pipeline<string>("after").from(["a", "b"]).map(stage).run();
      assert.equal(again.stats.poison!.out, 2);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("SIGTERM: a worker finishes its running items, hands back the rest at once, and exits 0", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      const leaving = await startWorker(redis.url, "--concurrency", "2", "--prefetch", "4", "--grace-ms", "20000");
      workers.push(leaving);
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 40 }, (_, n) => ({ n, ms: 100 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 2 }))
        .to((r) => sink.add(r.n))
        .run();
      await waitFor(async () => (await pendingByConsumer(redis.url, "tasks:slow")).size > 0, "entries held");
      leaving.signal("SIGTERM");
      const exit = await leaving.exit();
      assert.equal(exit.code, 0, leaving.stderr());
      assert.match(leaving.stderr(), /handed back/);
      // nothing is left pending for it: a new worker finishes the run without waiting for a lease
      workers.push(await startWorker(redis.url, "--concurrency", "8"));
      await run;
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, []);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("SIGTERM with a short grace: running items are aborted and handed back; another worker completes them", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      const leaving = await startWorker(redis.url, "--concurrency", "4", "--grace-ms", "50");
      workers.push(leaving);
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 8 }, (_, n) => ({ n, ms: 1500 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 1 }))
        .to((r) => sink.add(r.n))
        .run();
      await waitFor(async () => (await pendingByConsumer(redis.url, "tasks:slow")).size > 0, "entries held");
      leaving.signal("SIGTERM");
      assert.equal((await leaving.exit()).code, 0);
      workers.push(await startWorker(redis.url, "--concurrency", "8"));
      const result = await run;
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, []);
      assert.equal(result.deadLetters.length, 0);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("an origin killed with kill -9: its workers stop its work once its run key expires, and Redis empties", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    const client = new Redis(redis.url);
    try {
      workers.push(await startWorker(redis.url, "--lease-ms", "600", "--concurrency", "2"));
      const origin = spawn(
        process.execPath,
        ["--import", "tsx", fileURLToPath(new URL("../fixtures/fleet/origin.ts", import.meta.url)), redis.url, "600"],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let err = "";
      await new Promise<void>((resolve, reject) => {
        origin.stderr.on("data", (d: Buffer) => {
          err += d.toString();
          if (err.includes("started")) resolve();
        });
        origin.once("exit", () => reject(new Error(`the origin exited early: ${err}`)));
      });
      origin.kill("SIGKILL");
      // the worker drops what it holds of the dead run, then takes and drops (acks, deletes,
      // answers nothing) what is left in the stream; the run's keys expire
      await waitFor(
        async () =>
          (await client.xlen("weir:q:tasks:slow")) === 0 &&
          (await client.keys("weir:r:*")).length === 0 &&
          (await client.keys("weir:run:*")).length === 0,
        "Redis to empty after the origin died",
      );
      assert.equal(Number(((await client.xpending("weir:q:tasks:slow", "weir")) as [number])[0]), 0);
      assert.ok(!workers[0]!.exited);
    } finally {
      client.disconnect();
      await killAll(workers);
      await redis.stop();
    }
  });

  it("weir worker refuses what it cannot serve: a missing export, an export that is not a function", async () => {
    const redis = await startRedis();
    try {
      const missing = startWorkerProcess([tasksPath, "--redis", redis.url, "--exports", "double,nope"]);
      assert.equal((await missing.exit()).code, 1);
      assert.match(missing.stderr(), /WEIR_LOAD_FAILED.*no function exported as "nope"/);
      const notFn = startWorkerProcess([tasksPath, "--redis", redis.url, "--exports", "notAFunction"]);
      assert.equal((await notFn.exit()).code, 1);
      assert.match(notFn.stderr(), /export "notAFunction" is not a function/);
    } finally {
      await redis.stop();
    }
  });
});
