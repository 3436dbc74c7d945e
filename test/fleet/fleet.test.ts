import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { memoryStore, pipeline, WeirError, workflow } from "../../src/index.js";
import { FleetDeliveriesError, fleet } from "../../src/redis.js";
import { startRedis, type RedisServer } from "./redisServer.js";
import { killAll, startWorker, tasksUrl, type WorkerProcess } from "./fleetHarness.js";

const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

describe("fleet stages", () => {
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  const stage = <I, O>(name: string, options: object = {}) =>
    fleet<I, O>(tasksUrl, name, { redis: redis.url, ...options });
  before(async () => {
    redis = await startRedis();
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
  });
  after(async () => {
    await killAll(workers);
    await redis.stop();
  });

  it("maps 20,000 items through two workers, in order, each counted once", async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    const out: number[] = [];
    const result = await pipeline<number>("p")
      .from(items)
      .map(stage<number, number>("double"))
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(
      out,
      items.map((x) => x * 2),
    );
    assert.equal(result.stats.double!.out, items.length);
    assert.equal(result.stats.double!.context, "fleet");
  });

  it("both workers take a share of slow items", async () => {
    const pids = new Set<number>();
    await pipeline<{ n: number; ms: number }>("p")
      .from(Array.from({ length: 60 }, (_, n) => ({ n, ms: 20 })))
      .map(stage<{ n: number; ms: number }, { n: number; pid: number }>("slow", { maxBatchSize: 2 }))
      .to((r) => void pids.add(r.pid))
      .run();
    assert.deepEqual([...pids].sort(), workers.map((w) => w.pid).sort());
  });

  it("filter, flatMap and tap stages on a fleet", async () => {
    const out: number[] = [];
    await pipeline<number>("p")
      .from([1, 2, 3, 4, 5, 6])
      .filter(stage<number, boolean>("isEven"))
      .flatMap(stage<number, number[]>("twice"))
      .tap(stage<number, unknown>("double"))
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(out, [2, 2, 4, 4, 6, 6]);
  });

  it("a durable run's flatMap children reach a fleet stage with keys of their own", async () => {
    const seen: Array<{ n: number; key: string | undefined; index: number }> = [];
    await pipeline<number>("kids")
      .from([1, 2, 3])
      .flatMap(stage<number, number[]>("twice"))
      .map(stage<number, { n: number; key: string | undefined; index: number }>("keyed"))
      .to((r) => void seen.push(r))
      .run({ store: memoryStore(), runId: "fk" });
    assert.deepEqual(seen, [
      { n: 1, key: "fk/0/0", index: 0 },
      { n: 1, key: "fk/0/1", index: 0 },
      { n: 2, key: "fk/1/0", index: 1 },
      { n: 2, key: "fk/1/1", index: 1 },
      { n: 3, key: "fk/2/0", index: 2 },
      { n: 3, key: "fk/2/1", index: 2 },
    ]);
  });

  it("a sink on a fleet", async () => {
    const result = await pipeline<number>("p").from([1, 2, 3]).to(stage<number, unknown>("double")).run();
    assert.equal(result.stats.double!.out, 3);
  });

  it("a worker's error arrives whole (name, message, code, fields) and follows the stage's retry and onError", async () => {
    const result = await pipeline<number>("p")
      .from([0, 1, 2, 3])
      .map(stage<number, number>("failOdd"), { onError: "dead-letter", retry: { attempts: 2, baseMs: 1 } })
      .run();
    // two workers answer the retries: the order of the dead letters is the order their last attempts ended
    assert.deepEqual(result.deadLetters.map((d) => d.index).sort(), [1, 3]);
    const d = result.deadLetters.find((x) => x.index === 1)!;
    assert.equal(d.attempts, 2, "retried once through the fleet");
    const error = d.error as Error & { code?: unknown; status?: unknown };
    assert.equal(error.name, "RangeError");
    assert.equal(error.message, "odd: 1");
    assert.equal(error.code, "E_ODD");
    assert.equal(error.status, 422);
    assert.equal(result.stats.failOdd!.retries, 2);
  });

  it("onError fail rejects the run with a StageError naming the stage and item", async () => {
    await assert.rejects(
      pipeline<number>("p").from([0, 1, 2]).map(stage<number, number>("failOdd")).run(),
      (e: unknown) =>
        WeirError.is(e) && e.code === "WEIR_STAGE_FAILED" && /failOdd/.test(e.message) && codeOf(e.cause) === "E_ODD",
    );
  });

  it("timeoutMs: the worker times the item from its start, aborts its ctx.signal, and the item fails with WEIR_TIMEOUT", async () => {
    const result = await pipeline<number>("p")
      .from([7])
      .map(stage<number, never>("waitForAbort"), { timeoutMs: 200, onError: "dead-letter" })
      .run();
    assert.equal(result.deadLetters.length, 1);
    assert.equal(codeOf(result.deadLetters[0]!.error), "WEIR_TIMEOUT");
    await Promise.race(workers.map((w) => w.stderrHas("aborted 7: WEIR_TIMEOUT")));
  });

  it("cancelling the run aborts the items' ctx.signal in the workers", async () => {
    const controller = new AbortController();
    const run = pipeline<number>("p")
      .from([101, 102])
      .map(stage<number, never>("waitForAbort"))
      .run({ signal: controller.signal });
    // both items run in a worker
    for (const n of [101, 102]) await Promise.race(workers.map((w) => w.stderrHas(`waiting ${n}`)));
    controller.abort(new Error("enough"));
    await assert.rejects(run, (e: unknown) => codeOf(e) === "WEIR_CANCELLED");
    for (const n of [101, 102]) await Promise.race(workers.map((w) => w.stderrHas(`aborted ${n}:`)));
  });

  it("ctx.retryAfter in a worker reaches the stage's rate limiter", async () => {
    const result = await pipeline<number>("p")
      .from([1, 2, 3])
      .map(stage<number, number>("throttled"), { rateLimit: { perSecond: 100_000, burst: 100 } })
      .run();
    assert.ok(result.stats.throttled!.penalties >= 1, `penalties ${result.stats.throttled!.penalties}`);
  });

  it("a result that cannot travel back fails its item with a clear error", async () => {
    const result = await pipeline<number>("p")
      .from([1])
      .map(stage<number, unknown>("unsendable"), { onError: "dead-letter" })
      .run();
    assert.match(String((result.deadLetters[0]!.error as Error).message), /cannot travel back/);
  });

  it("an item that cannot travel to the fleet fails alone; the rest go", async () => {
    const out: unknown[] = [];
    const result = await pipeline<unknown>("p")
      .from([1, () => 2, 3])
      .map(stage<unknown, number>("double"), { onError: "dead-letter" })
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(out, [2, 6]);
    assert.equal(result.deadLetters[0]!.index, 1);
    assert.match(String((result.deadLetters[0]!.error as Error).message), /cannot travel to a fleet worker/);
  });

  it("a workflow task on a fleet", async () => {
    const result = await workflow("wf")
      .task("seed", () => 21)
      .task("twice", { after: ["seed"] }, stage<{ seed: number }, number>("doubleSeed"))
      .run();
    assert.equal(result.tasks.twice!.status, "completed", String(result.tasks.twice!.error));
    assert.equal(result.results.twice, 42);
  });

  it("the plan says the stage runs on a fleet", () => {
    const plan = pipeline<number>("p").from([1]).map(stage<number, number>("double")).plan();
    const s = plan.stages.find((x) => x.name === "double")!;
    assert.equal(s.context, "fleet");
    assert.match(s.reason, /runs on a fleet: weir workers serving "tasks:double" \(Redis stream weir:q:tasks:double/);
  });

  it("FleetDeliveriesError is a coded WeirError", () => {
    const e = new FleetDeliveriesError("s", 3, "w1");
    assert.ok(WeirError.is(e));
    assert.equal(e.code, "WEIR_FLEET_DELIVERIES");
  });
});
