import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pipeline } from "../../src/index.js";
import { fleet } from "../../src/redis.js";
import { startRedis, type RedisServer } from "./redisServer.js";
import { killAll, startWorker, tasksUrl, type WorkerProcess } from "./fleetHarness.js";

describe("fleet stages", () => {
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  before(async () => {
    redis = await startRedis();
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
  });
  after(async () => {
    await killAll(workers);
    await redis.stop();
  });

  it("maps 20,000 items through two workers, in order", async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    const out: number[] = [];
    const result = await pipeline<number>("p")
      .from(items)
      .map(fleet<number, number>(tasksUrl, "double", { redis: redis.url }))
      .to((x) => void out.push(x))
      .run();
    assert.equal(out.length, items.length);
    assert.deepEqual(out, items.map((x) => x * 2));
    assert.equal(result.stats.double!.out, items.length);
  });
});
