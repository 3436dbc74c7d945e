import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { pipeline } from "../../src/index.js";
import { bullmqSink, bullmqSource } from "../../src/bullmq.js";
import { startRedis, type RedisServer } from "./redisServer.js";
import { KeyedSink } from "./waitFor.js";

describe("BullMQ queues as sources and sinks", () => {
  let redis: RedisServer;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  it("reads jobs; each is completed as its item ends, or failed with the stage's error when dead-lettered", async () => {
    const queue = new Queue("in", { connection: client });
    await queue.addBulk(Array.from({ length: 300 }, (_, n) => ({ name: "job", data: { n } })));
    const sink = new KeyedSink<number>();
    const result = await pipeline<{ n: number }>("consume")
      .from(bullmqSource<{ n: number }>({ queue: "in", redis: redis.url, endWhenEmpty: true }))
      .map(
        (job) => {
          if (job.n % 100 === 42) throw new Error(`bad job ${job.n}`);
          return job;
        },
        { onError: "dead-letter" },
      )
      .to((job) => sink.add(job.n))
      .run();
    assert.equal(result.sourceItems, 300);
    assert.equal(sink.counts.size, 297);
    const counts = await queue.getJobCounts("completed", "failed", "active", "waiting");
    assert.deepEqual(counts, { completed: 297, failed: 3, active: 0, waiting: 0 });
    const failed = await queue.getFailed();
    assert.deepEqual(failed.map((j) => j.failedReason).sort(), ["bad job 142", "bad job 242", "bad job 42"]);
    await queue.close();
  });

  it("a sink adds each batch with one addBulk; BullMQ workers consume the jobs", async () => {
    const out = bullmqSink<{ n: number }>({
      queue: "out",
      redis: redis.url,
      jobOptions: (x) => ({ jobId: `n${x.n}` }),
    });
    try {
      const items = Array.from({ length: 250 }, (_, n) => ({ n }));
      // the same items twice: the job ids make the second add a no-op
      await pipeline<{ n: number }>("produce").from(items).batch({ size: 100 }).to(out).run();
      await pipeline<{ n: number }>("again").from(items).batch({ size: 100 }).to(out).run();
    } finally {
      await out.close();
    }
    const seen = new KeyedSink<number>();
    const connection = client.duplicate();
    const done = new Promise<void>((resolve) => {
      const worker = new Worker<{ n: number }>(
        "out",
        async (job) => {
          seen.add(job.data.n);
          if (seen.counts.size === 250) setImmediate(() => void worker.close().then(resolve));
        },
        { connection },
      );
    });
    await done;
    connection.disconnect();
    assert.equal(seen.counts.size, 250);
    assert.deepEqual(seen.twice, []);
  });
});
