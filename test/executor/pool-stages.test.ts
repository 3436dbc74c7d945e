import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { child, pipeline, worker, type RunResult } from "../../src/index.js";
import { attemptAll, codeOf, eventually, fns } from "./harness.js";
import { collect } from "../helpers.js";

const contexts = [
  ["worker", worker],
  ["child", child],
] as const;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const byNumber = (a: number, b: number): number => a - b;

/** Busy-waits `ms` on the calling thread. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

interface Span {
  readonly who: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The most distinct workers seen running items at one moment. Each span is narrowed by 1 ms at
 * both ends, so clock reads a fraction of a millisecond apart in two processes do not count as
 * overlap.
 */
function maxConcurrentWorkers(spans: readonly Span[]): number {
  let most = 0;
  for (const s of spans) {
    const t = s.start + 1;
    const at = new Set<string>();
    for (const o of spans) if (o.start + 1 <= t && t < o.end - 1) at.add(o.who);
    most = Math.max(most, at.size);
  }
  return most;
}

for (const [label, make] of contexts) {
  describe(`pool stages in a pipeline: ${label}()`, () => {
    it("a sink (.to) receives every item", async () => {
      const dir = await mkdtemp(join(tmpdir(), "weir-sink-"));
      try {
        const file = join(dir, "sink.txt");
        writeFileSync(file, "");
        const result = await pipeline("sink")
          .from(range(300).map((line) => ({ file, line })))
          .to(make(fns, "appendLine", { maxWorkers: 2 }), { name: "sink", concurrency: 2 })
          .run();
        const lines = readFileSync(file, "utf8").trim().split("\n").map(Number).sort(byNumber);
        assert.deepEqual(lines, range(300));
        assert.equal(result.stats.sink!.in, 300);
        assert.equal(result.stats.sink!.errors, 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("ordered (the default) emits in input order; ordered: false emits every result", async () => {
      // every 7th item is slow: later, faster items finish first
      const items = range(80).map((v) => ({ ms: v % 7 === 0 ? 25 : v % 3, v }));
      const options = { maxWorkers: 2, maxBatchSize: 2 };
      const ordered = await collect(
        pipeline("ord")
          .from(items)
          .map(make<{ ms: number; v: number }, number>(fns, "sleepThen", options), { concurrency: 4 })
          .stream(),
      );
      assert.deepEqual(ordered, range(80));
      const unordered = await collect(
        pipeline("unord")
          .from(items)
          .map(make<{ ms: number; v: number }, number>(fns, "sleepThen", options), { concurrency: 4, ordered: false })
          .stream(),
      );
      assert.deepEqual([...unordered].sort(byNumber), range(80));
    });

    it("priority: with the worker busy, queued items reach it highest first, FIFO among equals", async () => {
      const dir = await mkdtemp(join(tmpdir(), "weir-prio-"));
      try {
        const gate = join(dir, "gate");
        const priorities = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
        type Item = { id: string; p: number; gate?: string };
        // the first item holds the only worker until the gate file exists; the gate opens once all
        // the others wait in the stage's queue
        const items: Item[] = [{ id: "gate", p: 100, gate }, ...priorities.map((p, i) => ({ id: `i${i}`, p }))];
        const seen: Array<{ id: string; seq: number; who: string }> = [];
        const run = pipeline("prio")
          .from(items)
          .map(
            make<Item, { id: string; seq: number; who: string }>(fns, "sequence", {
              maxWorkers: 1,
              maxBatchSize: 1,
              batchesPerWorker: 1,
            }),
            {
              name: "prio",
              priority: (x) => x.p,
            },
          )
          .to((x) => void seen.push(x))
          .run();
        const queued = await eventually(
          () => run.snapshot().stages.find((s) => s.name === "prio")?.queueDepth === priorities.length,
          10_000,
        );
        writeFileSync(gate, "");
        await run;
        assert.ok(queued, "the other items were queued behind the gate item");
        assert.equal(new Set(seen.map((s) => s.who)).size, 1, "one worker saw every item");
        const order = [...seen].sort((a, b) => a.seq - b.seq).map((s) => s.id);
        const expected = priorities
          .map((p, i) => ({ p, i }))
          .sort((a, b) => b.p - a.p || a.i - b.i)
          .map(({ i }) => `i${i}`);
        assert.deepEqual(order, ["gate", ...expected]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("maxWorkers: 2 with concurrency 8: never more than 2 workers run items at once, recycling included", async () => {
      const spans = (await collect(
        pipeline("max")
          .from(range(160).map(() => 15))
          .map(make<number, Span>(fns, "span", { maxWorkers: 2, maxItemsPerWorker: 20 }), { concurrency: 8 })
          .stream(),
      )) as Span[];
      assert.equal(spans.length, 160);
      assert.ok(new Set(spans.map((s) => s.who)).size >= 8, "workers were recycled (at most 20 items each)");
      assert.ok(maxConcurrentWorkers(spans) <= 2, `${maxConcurrentWorkers(spans)} workers ran items at once`);
    });

    it("maxWorkers: 2, executor level: the pool never holds more than 2 live workers, recycling included", async () => {
      const e = createExecutor(make(fns, "busySpan", { maxWorkers: 2, maxItemsPerWorker: 20 }), "max");
      e.window(8); // as a stage with concurrency 8 would ask
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, e.pool.size)), 1);
      try {
        const out = await attemptAll(
          e,
          range(200).map(() => 2),
        );
        assert.ok(out.every((o) => o.ok));
        assert.ok(
          new Set(out.map((o) => (o as { value: Span }).value.who)).size >= 10,
          "workers were recycled (at most 20 items each)",
        );
      } finally {
        clearInterval(watch);
        await e.close();
      }
      assert.ok(most <= 2, `the pool held ${most} live workers at once (pool.size; stopping ones not counted)`);
    });

    it("colocated adjacent stages run each item in the same worker; the plan marks the second colocated", async () => {
      const options = { maxWorkers: 2, maxBatchSize: 4 };
      const p = pipeline("colo")
        .from(range(400))
        .map(make<number, { x: number; a: string }>(fns, "tagA", options), { name: "a", concurrency: 2 })
        .map(make<{ x: number; a: string }, { x: number; a: string; b: string }>(fns, "tagB", options), { name: "b" });
      const b = p.plan().stages.find((s) => s.name === "b")!;
      assert.equal(b.fused, true);
      assert.match(b.reason, /colocated with "a"/);
      const out = await collect(p.stream());
      assert.deepEqual(
        out.map((o) => o.x),
        range(400),
      );
      assert.ok(new Set(out.map((o) => o.a)).size >= 1);
      const split = out.filter((o) => o.a !== o.b);
      assert.deepEqual(split, [], "items whose two stages ran in different workers");
    });

    it("reports the event-loop delay of a busy worker stage in the final stats", async () => {
      const result = await pipeline("delay")
        .from(range(15).map(() => 30))
        .map(make<number, number>(fns, "busy", { maxWorkers: 1 }), { name: "busy" })
        .to(() => {})
        .run();
      assert.ok(result.stats.busy!.loopDelayMs > 0, `loopDelayMs ${result.stats.busy!.loopDelayMs}`);
    });

    it("10 poison items among 200 that exit their worker: 190 out, 10 dead letters WEIR_WORKER_CRASHED, only they retried", async () => {
      const poison = new Set(range(200).filter((i) => i % 20 === 7));
      const items = range(200).map((i) => (poison.has(i) ? -1 : i));
      const out: number[] = [];
      const result: RunResult = await pipeline("poison")
        .from(items)
        .map(make<number, number>(fns, "exitOn", { maxWorkers: 2 }), {
          name: "poison",
          concurrency: 2,
          retry: { attempts: 3, baseMs: 1 },
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      assert.equal(result.stats.poison!.out, 190);
      assert.deepEqual(
        out.sort(byNumber),
        range(200).filter((i) => !poison.has(i)),
      );
      assert.equal(result.deadLetters.length, 10);
      assert.deepEqual(result.deadLetters.map((d) => d.index).sort(byNumber), [...poison]);
      for (const d of result.deadLetters) {
        assert.equal(codeOf(d.error), "WEIR_WORKER_CRASHED");
        assert.equal(d.attempts, 3);
      }
      assert.equal(result.stats.poison!.retries, 20);
    });

    it("a while(true) item among others, timeoutMs 500, maxWorkers 1: 3 out, one dead letter (index 1, WEIR_TIMEOUT)", async () => {
      const items = ["a", "spin", "b", "c"];
      const out: string[] = [];
      const result = await pipeline("spin")
        .from(items)
        .map(make<string, string>(fns, "spin", { maxWorkers: 1 }), {
          name: "spin",
          timeoutMs: 500,
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      assert.equal(result.stats.spin!.out, 3);
      assert.deepEqual(out, ["a", "b", "c"]);
      assert.equal(result.deadLetters.length, 1);
      assert.equal(result.deadLetters[0]!.index, 1);
      assert.equal(codeOf(result.deadLetters[0]!.error), "WEIR_TIMEOUT");
      const indices = [...out.map((x) => items.indexOf(x)), ...result.deadLetters.map((d) => d.index)].sort(byNumber);
      assert.deepEqual(indices, [0, 1, 2, 3], "every index exactly once");
    });

    it("a function that cannot see its context (one parameter): its waiting item still times out in its worker, and its throw fails alone", async () => {
      // holdOrSpin(x): "hold" waits 300 ms; fail(x): item 3 throws. Neither can read a context.
      const passed: string[] = [];
      const held = await pipeline("hold")
        .from(["a", "hold", "b"])
        .map(make<string, string>(fns, "holdOrSpin", { maxWorkers: 1 }), {
          name: "hold",
          timeoutMs: 100,
          onError: "dead-letter",
        })
        .to((x) => void passed.push(x))
        .run();
      assert.deepEqual(passed, ["a", "b"]);
      assert.equal(held.deadLetters.length, 1);
      assert.equal(held.deadLetters[0]!.index, 1);
      assert.equal(codeOf(held.deadLetters[0]!.error), "WEIR_TIMEOUT");
      const out: number[] = [];
      const failed = await pipeline("fail")
        .from([1, 2, 3, 4])
        .map(make<number, number>(fns, "fail", { maxWorkers: 1 }), { name: "fail", onError: "dead-letter" })
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(out, [1, 2, 4]);
      assert.equal(failed.deadLetters.length, 1);
      assert.equal(failed.deadLetters[0]!.index, 2);
      assert.equal(codeOf(failed.deadLetters[0]!.error), "E_BAD_ITEM");
    });

    it("in a batch noted once, the item after a slow synchronous one is timed from that one's end, not charged with it", async () => {
      // the first batches (no estimate yet, or one taken while the worker was cold) note each
      // item's start; once the worker's estimate of its tiny items is down, a batch is noted once
      // and each item starts where the one before it ended
      const fast = Array.from({ length: 400 }, (_, i) => `f${i}`);
      const after = Array.from({ length: 8 }, (_, i) => `g${i}`);
      // two slow items apart: one that happens to end its batch is followed by a fresh clock read
      const items = [...fast, "slow", ...after, "slow", "h0", "h1"];
      const out: string[] = [];
      const result = await pipeline("after-slow")
        .from(items)
        .map(make<string, { x: string; who: string }>(fns, "slowOrFast", { maxWorkers: 1, cancelGraceMs: 10_000 }), {
          name: "slow",
          timeoutMs: 200,
          onError: "dead-letter",
        })
        .to((o) => void out.push(o.x))
        .run();
      assert.deepEqual(out, [...fast, ...after, "h0", "h1"]);
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, codeOf(d.error)]),
        [
          [400, "WEIR_TIMEOUT"],
          [409, "WEIR_TIMEOUT"],
        ],
      );
    });

    it("a synchronous item that returns after 400 ms with timeoutMs 200 times out in its worker; its batch-mates succeed there", async () => {
      const items = ["f0", "f1", "slow", "f2", "f3"];
      const out: Array<{ x: string; who: string }> = [];
      // a long cancel grace: the pool's watchdog (timeout + grace) cannot stop the worker first
      const result = await pipeline("slow")
        .from(items)
        .map(make<string, { x: string; who: string }>(fns, "slowOrFast", { maxWorkers: 1, cancelGraceMs: 10_000 }), {
          name: "slow",
          timeoutMs: 200,
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(
        out.map((o) => o.x),
        ["f0", "f1", "f2", "f3"],
      );
      assert.equal(new Set(out.map((o) => o.who)).size, 1, "one worker, never stopped, ran them all");
      assert.equal(result.deadLetters.length, 1);
      assert.equal(result.deadLetters[0]!.index, 2);
      assert.equal(codeOf(result.deadLetters[0]!.error), "WEIR_TIMEOUT");
    });
  });
}

describe("pool stages in a pipeline: pool recycling and the main loop", () => {
  it("a child() pool with maxItemsPerWorker 50 over 500 items uses at least 10 processes; every item succeeds", async () => {
    const out = await collect(
      pipeline("recycle")
        .from(range(500))
        .map(child<number, { x: number; who: string }>(fns, "whoRan", { maxWorkers: 2, maxItemsPerWorker: 50 }), {
          concurrency: 2,
        })
        .stream(),
    );
    assert.deepEqual(
      out.map((o) => o.x),
      range(500),
    );
    const perProcess = new Map<string, number>();
    for (const o of out) perProcess.set(o.who, (perProcess.get(o.who) ?? 0) + 1);
    assert.ok(perProcess.size >= 10, `${perProcess.size} processes`);
    for (const [who, n] of perProcess) assert.ok(n <= 50, `${who} ran ${n} items`);
  });

  it("a pool kept warm across many runs does not collect a chain per run", async () => {
    const keeper = createExecutor(worker(fns, "inc", { maxWorkers: 1, minWorkers: 1 }), "keeper");
    try {
      for (let r = 0; r < 20; r++) {
        const out = pipeline("warm")
          .from([1, 2, 3])
          .map(worker<number, number>(fns, "inc", { maxWorkers: 1, minWorkers: 1 }))
          .stream();
        const values: number[] = [];
        for await (const v of out) values.push(v);
        assert.deepEqual(values, [2, 3, 4]);
      }
      assert.equal(keeper.pool.chainCount, 1, "only the keeper's chain is left");
    } finally {
      await keeper.close();
    }
  });

  it("reports the main loop's delay for an async stage that blocks it", async () => {
    const result = await pipeline("main-delay")
      .from(range(15).map(() => 30))
      .map(
        async (ms: number) => {
          busyWait(ms);
          return ms;
        },
        { name: "blocking", context: "async" },
      )
      .to(() => {})
      .run();
    assert.equal(result.stats.blocking!.context, "async");
    assert.ok(result.stats.blocking!.loopDelayMs > 0, `loopDelayMs ${result.stats.blocking!.loopDelayMs}`);
  });

  it("reports the main loop's delay for an inline stage that blocks it", async () => {
    const result = await pipeline("main-delay")
      .from(range(5).map(() => 30))
      .map((ms: number) => busyWait(ms), { name: "blocking", context: "inline" })
      .to(() => {})
      .run();
    assert.equal(result.stats.blocking!.context, "inline");
    assert.ok(result.stats.blocking!.loopDelayMs > 0, `loopDelayMs ${result.stats.blocking!.loopDelayMs}`);
  });
});
