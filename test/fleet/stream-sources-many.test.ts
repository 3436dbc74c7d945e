/**
 * Run-aware sources among several sources of one pipeline: two Redis stream sources (and an
 * array) merged, with dead letters; each stream acknowledges exactly its own entries, by its own
 * positions, once they left the pipeline. Against a real redis-server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { merge, pipeline } from "../../src/index.js";
import { redisStreamSource } from "../../src/redis.js";
import { startRedis, type RedisServer } from "./redisServer.js";

type Entry = { n: string };

describe("Redis stream sources as two of several sources of one pipeline", () => {
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

  const pending = async (stream: string): Promise<number> =>
    Number(((await client.xpending(stream, "weir")) as [number])[0]);

  it("acknowledges every entry of each stream, dead letters included, and nothing twice", async () => {
    await produce("eu", 1500);
    await produce("us", 700);
    const source = (stream: string) =>
      redisStreamSource<Entry>({ redis: redis.url, stream, endWhenEmpty: true, count: 100, blockMs: 50 });
    const p = pipeline("regions");
    const seen = new Map<string, number>();
    const result = await merge([
      p.from(source("eu"), { name: "eu" }).map((e) => `eu:${e.n}`),
      p.from(source("us"), { name: "us" }).map((e) => `us:${e.n}`),
      p.from(["local:0", "local:1"], { name: "local" }),
    ])
      .map(
        (key) => {
          if (key.endsWith("7")) throw new Error(`bad ${key}`);
          return key;
        },
        { onError: "dead-letter", name: "check" },
      )
      .to((key) => void seen.set(key, (seen.get(key) ?? 0) + 1))
      .run();
    assert.equal(result.stats.eu!.out, 1500);
    assert.equal(result.stats.us!.out, 700);
    assert.equal(result.sourceItems, 2202);
    assert.equal(result.deadLetters.length, 150 + 70);
    assert.equal(seen.size, 2202 - 220);
    assert.ok([...seen.values()].every((c) => c === 1));
    assert.equal(await pending("eu"), 0, "every eu entry acknowledged");
    assert.equal(await pending("us"), 0, "every us entry acknowledged");
  });

  it(
    "acknowledges a stream's entries only once they left: by its own positions, not the run's indices",
    { timeout: 60_000 },
    async () => {
      await produce("left", 300);
      await produce("right", 300);
      const source = (stream: string) =>
        redisStreamSource<Entry>({
          redis: redis.url,
          stream,
          endWhenEmpty: true,
          count: 100,
          blockMs: 50,
          ackIntervalMs: 10,
        });
      let release: () => void = () => {};
      const held = new Promise<void>((r) => (release = r));
      let heldNow: () => void = () => {};
      const holding = new Promise<void>((r) => (heldNow = r));
      const p = pipeline("acks");
      const run = merge([
        p.from(source("left"), { name: "left" }).map((e) => `left:${e.n}`),
        p.from(source("right"), { name: "right" }).map((e) => `right:${e.n}`),
      ])
        .to(
          async (key) => {
            if (key !== "right:3") return;
            heldNow();
            await held;
          },
          { concurrency: 64, ordered: false },
        )
        .run();
      await holding;
      // right:3 has run-wide index 3 × 2 + 1 = 7: below it, left's positions 0…3 and right's 0…2 are done
      while ((await pending("left")) === 300 && (await pending("right")) === 300)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        (await pending("right")) >= 297,
        `right acknowledged ${300 - (await pending("right"))} while its 4th is held`,
      );
      assert.ok((await pending("left")) >= 296, `left acknowledged ${300 - (await pending("left"))}`);
      release();
      await run;
      assert.equal(await pending("left"), 0);
      assert.equal(await pending("right"), 0);
    },
  );
});
