import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { pipeline } from "../../src/index.js";
import { redisStreamSink, redisStreamSource } from "../../src/redis.js";
import { startRedis, type RedisServer } from "./redisServer.js";
import { KeyedSink } from "./waitFor.js";

type Order = { id: string; n: string };

describe("Redis streams as sources and sinks", () => {
  let redis: RedisServer;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  async function produce(stream: string, count: number): Promise<void> {
    const p = client.pipeline();
    for (let n = 0; n < count; n++) p.xadd(stream, "*", "n", String(n));
    await p.exec();
  }

  const pending = async (stream: string, group = "weir"): Promise<number> =>
    Number(((await client.xpending(stream, group)) as [number])[0]);

  it("reads every entry through a consumer group and acknowledges each once it is done or dead-lettered", async () => {
    await produce("orders", 2000);
    const sink = new KeyedSink<string>();
    const result = await pipeline<Order>("billing")
      .from(
        redisStreamSource<Order>({ redis: redis.url, stream: "orders", endWhenEmpty: true, count: 100, blockMs: 50 }),
      )
      .map(
        (o) => {
          if (Number(o.n) % 100 === 7) throw new Error(`bad order ${o.n}`);
          return o;
        },
        { onError: "dead-letter" },
      )
      .to((o) => sink.add(o.n))
      .run();
    assert.equal(result.sourceItems, 2000);
    assert.equal(sink.counts.size, 1980);
    assert.equal(result.deadLetters.length, 20);
    assert.equal(await pending("orders"), 0, "everything acknowledged, dead letters included");
  });

  it("two readers in one group share the stream: each entry goes to one of them", async () => {
    await produce("shared", 3000);
    const sink = new KeyedSink<string>();
    // each reader holds its first item until the other has one too: neither can take everything
    const started = new Set<string>();
    let bothStarted: () => void = () => {};
    const both = new Promise<void>((resolve) => (bothStarted = resolve));
    const read = (consumer: string) =>
      pipeline<Order>(`reader-${consumer}`)
        .from(
          redisStreamSource<Order>({
            redis: redis.url,
            stream: "shared",
            consumer,
            endWhenEmpty: true,
            count: 50,
            blockMs: 50,
          }),
        )
        .map(async (o) => {
          started.add(consumer);
          if (started.size === 2) bothStarted();
          await both;
          return o;
        })
        .to((o) => sink.add(o.n))
        .run();
    const [a, b] = await Promise.all([read("a"), read("b")]);
    assert.equal(a.sourceItems + b.sourceItems, 3000);
    assert.ok(a.sourceItems > 0 && b.sourceItems > 0, `a ${a.sourceItems}, b ${b.sourceItems}`);
    assert.equal(sink.counts.size, 3000);
    assert.deepEqual(sink.twice, []);
    assert.equal(await pending("shared"), 0);
  });

  it("a run that fails leaves what it had not finished pending; the next reader with that name gets it first", async () => {
    await produce("fragile", 500);
    const seen = new KeyedSink<string>();
    await assert.rejects(
      pipeline<Order>("first")
        .from(
          redisStreamSource<Order>({
            redis: redis.url,
            stream: "fragile",
            consumer: "c1",
            endWhenEmpty: true,
            blockMs: 50,
          }),
        )
        .map((o) => {
          if (o.n === "300") throw new Error("boom");
          return o;
        })
        .to((o) => seen.add(o.n))
        .run(),
    );
    assert.ok((await pending("fragile")) > 0, "unfinished entries stay pending");
    await pipeline<Order>("second")
      .from(
        redisStreamSource<Order>({
          redis: redis.url,
          stream: "fragile",
          consumer: "c1",
          endWhenEmpty: true,
          blockMs: 50,
        }),
      )
      .to((o) => seen.add(o.n))
      .run();
    assert.equal(seen.counts.size, 500, "every entry was done by one of the runs (at least once)");
    assert.equal(await pending("fragile"), 0);
  });

  it("another consumer takes over what a dead reader left pending, after claimIdleMs", async () => {
    await produce("orphans", 100);
    // a reader that took 40 entries and died without acknowledging them
    await client.xgroup("CREATE", "orphans", "weir", "0", "MKSTREAM");
    await client.xreadgroup("GROUP", "weir", "dead", "COUNT", 40, "STREAMS", "orphans", ">");
    const sink = new KeyedSink<string>();
    await pipeline<Order>("rescuer")
      .from(
        redisStreamSource<Order>({
          redis: redis.url,
          stream: "orphans",
          consumer: "alive",
          endWhenEmpty: true,
          claimIdleMs: 1,
          blockMs: 50,
        }),
      )
      .to((o) => sink.add(o.n))
      .run();
    assert.equal(sink.counts.size, 100);
    assert.equal(await pending("orphans"), 0);
  });

  it("a stream sink writes each batch with one pipelined round, trimmed to maxLen", async () => {
    const out = redisStreamSink<{ n: number; tags: string[] }>({ redis: redis.url, stream: "out", maxLen: 100_000 });
    try {
      await pipeline<number>("writer")
        .from(Array.from({ length: 1234 }, (_, n) => n))
        .map((n) => ({ n, tags: ["a", String(n)] }))
        .batch({ size: 100 })
        .to(out)
        .run();
    } finally {
      await out.close();
    }
    assert.equal(await client.xlen("out"), 1234);
    const first = (await client.xrange("out", "-", "+", "COUNT", 1)) as Array<[string, string[]]>;
    assert.deepEqual(first[0]?.[1], ["n", "0", "tags", '["a","0"]']);
  });
});
