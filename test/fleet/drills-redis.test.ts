import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { describe, it } from "node:test";
import { pipeline, WeirError } from "../../src/index.js";
import { fleet } from "../../src/redis.js";
import { freePort, startRedis } from "./redisServer.js";
import { killAll, startWorker, startWorkerProcess, tasksPath, tasksUrl, type WorkerProcess } from "./fleetHarness.js";
import { makeTlsFiles } from "./tlsFiles.js";
import { KeyedSink, waitFor } from "./waitFor.js";

type Slow = { n: number; ms: number };
type Tagged = { n: number; pid: number };
const causeCode = (e: unknown): unknown => ((e as { cause?: { code?: unknown } }).cause ?? {}).code;

describe("fleet drills: Redis", () => {
  it("Redis killed (SIGKILL) and restarted from its AOF mid-run: nothing lost, nothing twice", async () => {
    const redis = await startRedis({ aof: true });
    const workers: WorkerProcess[] = [];
    try {
      workers.push(
        await startWorker(redis.url, "--concurrency", "4"),
        await startWorker(redis.url, "--concurrency", "4"),
      );
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 1500 }, (_, n) => ({ n, ms: 2 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 16 }))
        .to((r) => sink.add(r.n))
        .run();
      await waitFor(() => sink.counts.size >= 200, "the run to be under way");
      await redis.kill();
      const before = sink.counts.size;
      await redis.restart();
      const result = await run;
      assert.ok(before < items.length, "Redis went down mid-run");
      assert.equal(sink.counts.size, items.length, "nothing lost");
      assert.deepEqual(sink.twice, [], "nothing twice");
      assert.equal(result.deadLetters.length, 0);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("Redis restarted empty mid-run (no persistence): the origin sends what Redis lost again; nothing lost, nothing twice", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      workers.push(await startWorker(redis.url, "--concurrency", "4"));
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 1000 }, (_, n) => ({ n, ms: 2 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 16 }))
        .to((r) => sink.add(r.n))
        .run();
      await waitFor(() => sink.counts.size >= 100, "the run to be under way");
      await redis.kill();
      await redis.restart();
      await run;
      assert.equal(sink.counts.size, items.length);
      assert.deepEqual(sink.twice, []);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("Redis unreachable at start: the stage fails with WEIR_REDIS_UNAVAILABLE after maxOutageMs, naming the server", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    await assert.rejects(
      pipeline<number>("p")
        .from([1, 2])
        .map(fleet<number, number>(tasksUrl, "double", { redis: url, maxOutageMs: 300 }))
        .run(),
      (e: unknown) =>
        WeirError.is(e) &&
        e.code === "WEIR_STAGE_FAILED" &&
        causeCode(e) === "WEIR_REDIS_UNAVAILABLE" &&
        /127\.0\.0\.1:\d+ is unavailable: not reached for 300 ms \(last error: connect ECONNREFUSED/.test(
          String((e.cause as Error).message),
        ),
    );
    const worker = startWorkerProcess([tasksPath, "--redis", url, "--max-outage-ms", "300"]);
    assert.equal((await worker.exit()).code, 1);
    assert.match(
      worker.stderr(),
      /WEIR_REDIS_UNAVAILABLE: weir worker .*: Redis at redis:\/\/127\.0\.0\.1:\d+ is unavailable/,
    );
  });

  it("Redis gone for good mid-run: held items fail with WEIR_REDIS_UNAVAILABLE after maxOutageMs; every item is sunk or dead-lettered", async () => {
    const redis = await startRedis();
    const workers: WorkerProcess[] = [];
    try {
      workers.push(await startWorker(redis.url, "--max-outage-ms", "60000"));
      const sink = new KeyedSink<number>();
      const items = Array.from({ length: 400 }, (_, n) => ({ n, ms: 5 }));
      const run = pipeline<Slow>("drill")
        .from(items)
        .map(fleet<Slow, Tagged>(tasksUrl, "slow", { redis: redis.url, maxBatchSize: 4, maxOutageMs: 500 }), {
          onError: "dead-letter",
        })
        .to((r) => sink.add(r.n))
        .run();
      await waitFor(() => sink.counts.size >= 20, "the run to be under way");
      await redis.kill();
      const result = await run;
      assert.ok(result.deadLetters.length > 0);
      for (const d of result.deadLetters) assert.equal((d.error as { code?: unknown }).code, "WEIR_REDIS_UNAVAILABLE");
      const dead = new Set(result.deadLetters.map((d) => d.index));
      for (let n = 0; n < items.length; n++) assert.ok(sink.counts.has(n) !== dead.has(n), `item ${n} once`);
      assert.deepEqual(sink.twice, []);
    } finally {
      await killAll(workers);
      await redis.stop();
    }
  });

  it("a wrong password or none: WEIR_REDIS_AUTH at once, for the origin and for weir worker", async () => {
    const redis = await startRedis({ password: "s3cret" });
    try {
      const wrong = `redis://:nope@127.0.0.1:${redis.port}`;
      await assert.rejects(
        pipeline<number>("p")
          .from([1])
          .map(fleet<number, number>(tasksUrl, "double", { redis: wrong }))
          .run(),
        (e: unknown) =>
          causeCode(e) === "WEIR_REDIS_AUTH" && /refused the credentials: WRONGPASS/.test(String((e as Error).cause)),
      );
      const worker = startWorkerProcess([tasksPath, "--redis", `redis://127.0.0.1:${redis.port}`]);
      assert.equal((await worker.exit()).code, 1);
      assert.match(worker.stderr(), /WEIR_REDIS_AUTH: .*refused the credentials: NOAUTH/);
      assert.doesNotMatch(worker.stderr(), /s3cret|nope/);
    } finally {
      await redis.stop();
    }
  });

  it("TLS: a plain connection to a TLS-only Redis fails with WEIR_REDIS_TLS; rediss:// with the CA serves a fleet", async () => {
    const tls = makeTlsFiles();
    const redis = await startRedis({ tls });
    const workers: WorkerProcess[] = [];
    try {
      const plain = `redis://127.0.0.1:${redis.port}`;
      await assert.rejects(
        pipeline<number>("p")
          .from([1])
          .map(fleet<number, number>(tasksUrl, "double", { redis: plain }))
          .run(),
        (e: unknown) =>
          causeCode(e) === "WEIR_REDIS_TLS" && /connect with rediss:\/\//.test(String((e as Error).cause)),
      );
      const unverified = `rediss://127.0.0.1:${redis.port}`;
      await assert.rejects(
        pipeline<number>("p")
          .from([1])
          .map(fleet<number, number>(tasksUrl, "double", { redis: unverified }))
          .run(),
        (e: unknown) => causeCode(e) === "WEIR_REDIS_TLS" && /certificate/.test(String((e as Error).cause)),
      );
      // the worker trusts the test CA through Node's NODE_EXTRA_CA_CERTS; the origin through ioredis options
      const w = startWorkerProcess([tasksPath, "--redis", unverified], { NODE_EXTRA_CA_CERTS: tls.ca });
      workers.push(w);
      await w.stderrHas("serving");
      const out: number[] = [];
      await pipeline<number>("p")
        .from([1, 2, 3])
        .map(
          fleet<number, number>(tasksUrl, "double", {
            redis: { host: "127.0.0.1", port: redis.port, tls: { ca: readFileSync(tls.ca) } },
          }),
        )
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(out, [2, 4, 6]);
    } finally {
      await killAll(workers);
      await redis.stop();
      rmSync(tls.dir, { recursive: true, force: true });
    }
  });
});
