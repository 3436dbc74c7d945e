/**
 * Worker lifecycle: a module's setup runs once per worker before its first item and what it
 * returns is every call's `ctx.local`; its teardown runs when the worker ends gracefully (run
 * end, recycle, idle shutdown), not on a crash; `workerData` reaches setup and every call as data;
 * a child process ends on its own (its exit handlers run) and a thread's last output arrives.
 * Real threads and processes; each worker writes what ran to a log file.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, watch } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import type { PoolExecutor } from "../../src/executor/pool/executor/PoolExecutor.js";
import { InvalidOptionError, ModuleLoadError, child, pipeline, worker, type RunResult } from "../../src/index.js";
import { attemptAll, fns, runScript, values } from "./harness.js";

const lifecycle = new URL("../fixtures/workers/lifecycle.mjs", import.meta.url);
const contexts = [
  ["worker", worker],
  ["child", child],
] as const;

interface Tagged {
  readonly item: number;
  readonly worker: string;
  readonly prefix: string;
  readonly setups: number;
  readonly data: unknown;
}

let dir = "";
let logs = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "weir-lifecycle-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh log file name for one test. */
const newLog = (): string => join(dir, `log-${logs++}`);

/** The lines of a log (none before its first write). */
function lines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

/** The workers named by the log's lines that start with `word` (with the rest of each line). */
function named(log: string, word: string): string[] {
  return lines(log)
    .filter((l) => l.startsWith(`${word} `))
    .map((l) => l.slice(word.length + 1));
}

/** Resolves once the log holds `count` lines starting with `word` (watching its directory). */
function logged(log: string, word: string, count: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): boolean => named(log, word).length >= count;
    if (done()) {
      resolve();
      return;
    }
    const w = watch(dirname(log), () => {
      if (!done()) return;
      w.close();
      resolve();
    });
    if (done()) {
      w.close();
      resolve();
    }
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

for (const [label, make] of contexts) {
  describe(`worker lifecycle: ${label}()`, () => {
    it("setup runs once per worker before its first item; every call gets its value as ctx.local and workerData as ctx.workerData; teardown runs at the end of the run", async () => {
      const log = newLog();
      const data = { log, prefix: "P", nested: { list: [1, 2] } };
      const out: Tagged[] = [];
      await pipeline("lc")
        .from(range(60))
        .map(make<number, Tagged>(lifecycle, "tag", { maxWorkers: 2, workerData: data }), { concurrency: 2 })
        .to((x) => void out.push(x))
        .run();
      assert.equal(out.length, 60);
      for (const o of out) {
        assert.equal(o.setups, 1, "setup ran once in each worker");
        assert.equal(o.prefix, "P");
        assert.deepEqual(o.data, data);
      }
      const setUp = named(log, "setup");
      const tornDown = named(log, "teardown");
      for (const w of new Set(out.map((o) => o.worker))) {
        assert.equal(setUp.filter((s) => s === w).length, 1, `worker ${w} was set up once`);
        assert.deepEqual(
          tornDown.filter((t) => t.startsWith(`${w} `)),
          [`${w} closed`],
          `worker ${w} was torn down once, as its pool closed`,
        );
      }
      assert.equal(tornDown.length, setUp.length, "every worker set up was torn down");
      if (label === "child") {
        // the process ended on its own: its exit handlers ran (it used to be SIGKILLed)
        assert.deepEqual(named(log, "exit").sort(), [...setUp].sort());
      }
    });

    it("a worker recycled after maxItemsPerWorker tears down with reason recycled", async () => {
      const log = newLog();
      const out: Tagged[] = [];
      await pipeline("lc")
        .from(range(35))
        .map(make<number, Tagged>(lifecycle, "tag", { maxWorkers: 1, maxItemsPerWorker: 10, workerData: { log } }))
        .to((x) => void out.push(x))
        .run();
      assert.equal(out.length, 35);
      const tornDown = named(log, "teardown");
      const workers = new Set(out.map((o) => o.worker));
      assert.ok(workers.size >= 4, `items spread over ${workers.size} workers of 10 items at most`);
      assert.equal(tornDown.length, named(log, "setup").length);
      assert.ok(tornDown.filter((t) => t.endsWith(" recycled")).length >= 3, tornDown.join("; "));
      for (const w of workers) assert.equal(tornDown.filter((t) => t.startsWith(`${w} `)).length, 1);
    });

    it("an idle worker stopped after idleTimeoutMs tears down with reason idle", async () => {
      const log = newLog();
      const e = createExecutor(
        make(lifecycle, "tag", { maxWorkers: 1, idleTimeoutMs: 20, workerData: { log } }),
        "lc",
      ) as PoolExecutor;
      const [first] = values(await attemptAll(e, [1])) as Tagged[];
      await e.pool.atMinimum(); // the idle worker stopped and exited
      assert.deepEqual(named(log, "teardown"), [`${first!.worker} idle`]);
      await e.close();
    });

    it("a worker that crashes runs no teardown; its items fail as before", async () => {
      const log = newLog();
      const result: RunResult = await pipeline("lc")
        .from([1, 2, -1])
        .map(make(lifecycle, "crashOn", { maxWorkers: 1, maxBatchSize: 1, batchesPerWorker: 1, workerData: { log } }), {
          onError: "dead-letter",
        })
        .to(() => {})
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => [d.index, (d.error as { code?: string }).code]),
        [[2, "WEIR_WORKER_CRASHED"]],
      );
      assert.equal(named(log, "setup").length, 1);
      assert.deepEqual(named(log, "teardown"), []);
    });

    it("a setup that throws fails the stage's items with WEIR_LOAD_FAILED, its error as cause", async () => {
      const log = newLog();
      const result = await pipeline("lc")
        .from([1, 2])
        .map(make(lifecycle, "tag", { maxWorkers: 1, loadAttempts: 1, workerData: { log, failSetup: true } }), {
          onError: "dead-letter",
        })
        .to(() => {})
        .run();
      assert.equal(result.deadLetters.length, 2);
      for (const d of result.deadLetters) {
        const error = d.error;
        assert.ok(error instanceof ModuleLoadError, String(error));
        assert.equal(error.code, "WEIR_LOAD_FAILED");
        assert.match(error.message, /could not be set up \(its setup export threw/);
        assert.match(String((error.cause as Error).message), /setup refused: no database/);
      }
      assert.deepEqual(named(log, "teardown"), [], "no teardown after a setup that failed");
    });

    it("a teardown that never ends: the worker is ended after closeGraceMs and the run still ends", async () => {
      const log = newLog();
      const out: Tagged[] = [];
      await pipeline("lc")
        .from([1, 2, 3])
        .map(
          make<number, Tagged>(lifecycle, "tag", {
            maxWorkers: 1,
            closeGraceMs: 50,
            workerData: { log, teardownHangs: true },
          }),
        )
        .to((x) => void out.push(x))
        .run();
      assert.equal(out.length, 3);
      assert.equal(named(log, "setup").length, 1);
      assert.deepEqual(named(log, "teardown"), []);
    });

    it("items still waiting in a worker when the run stops: their signals abort, they leave, then teardown runs", async () => {
      const log = newLog();
      const run = pipeline("lc")
        .from([1, 2])
        .map(make(lifecycle, "waitForAbort", { maxWorkers: 1, concurrencyPerWorker: 2, workerData: { log } }), {
          concurrency: 1,
        })
        .to(() => {})
        .run();
      await logged(log, "started", 2);
      const result = await run.stop({ graceMs: 0 });
      assert.equal(result.abandoned, 2);
      await logged(log, "teardown", 1);
      const order = lines(log).map((l) => l.split(" ")[0]);
      assert.ok(order.lastIndexOf("aborted") < order.indexOf("teardown"), order.join(" "));
      assert.equal(order.filter((w) => w === "aborted").length, 2);
    });

    it("a worker stuck in a synchronous item when its pool closes is ended after cancelGraceMs, not closeGraceMs", async () => {
      // with closeGraceMs this long, the run would outlast the test's timeout if the stuck worker got it
      const result = await pipeline("lc")
        .from(["spin"])
        .map(make(fns, "spin", { maxWorkers: 1, closeGraceMs: 600_000 }), { timeoutMs: 50, onError: "dead-letter" })
        .to(() => {})
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => (d.error as { code?: string }).code),
        ["WEIR_TIMEOUT"],
      );
    });

    it("closeGraceMs: 0 ends workers at once, without teardown", async () => {
      const log = newLog();
      await pipeline("lc")
        .from([1, 2])
        .map(make(lifecycle, "tag", { maxWorkers: 1, closeGraceMs: 0, workerData: { log } }))
        .to(() => {})
        .run();
      assert.equal(named(log, "setup").length, 1);
      assert.deepEqual(named(log, "teardown"), []);
    });
  });
}

describe("workerData", () => {
  it("is checked when the stage is defined: what cannot reach a worker is refused, naming the option", () => {
    const refused = (f: () => unknown): void =>
      assert.throws(f, (e: unknown) => e instanceof InvalidOptionError && e.option === "pool.workerData");
    refused(() => worker(lifecycle, "tag", { workerData: { f: () => 1 } }));
    refused(() => child(lifecycle, "tag", { workerData: Symbol("s") }));
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    refused(() => child(lifecycle, "tag", { workerData: cycle })); // msgpack carries no cycle
    child(lifecycle, "tag", { workerData: cycle, wire: "ipc" }); // V8's format does
    worker(lifecycle, "tag", { workerData: cycle }); // and so does structured clone
    refused(() => child(lifecycle, "tag", { workerData: "x".repeat(2_000), maxFrameBytes: 1_000 }));
  });

  it("is copied when the stage is defined: later changes to the object reach no worker", async () => {
    const data = { prefix: "before" };
    const stage = worker<number, Tagged>(lifecycle, "tag", { maxWorkers: 1, workerData: data });
    data.prefix = "after";
    const out: Tagged[] = [];
    await pipeline("lc")
      .from([1])
      .map(stage)
      .to((x) => void out.push(x))
      .run();
    assert.equal(out[0]!.prefix, "before");
  });

  it("stages with equal workerData share a pool; different workerData, different pools", () => {
    const a = worker(lifecycle, "tag", { workerData: { n: 1, list: [1] } }).factory.colocationKey;
    assert.equal(a, worker(lifecycle, "tag", { workerData: { n: 1, list: [1] } }).factory.colocationKey);
    assert.notEqual(a, worker(lifecycle, "tag", { workerData: { n: 2, list: [1] } }).factory.colocationKey);
  });
});

describe("a thread's output at the end of a run", () => {
  it("what a worker thread prints on its last item reaches the parent before the run resolves", async () => {
    const index = new URL("../../src/index.ts", import.meta.url).href;
    const script = `
      import { pipeline, worker } from ${JSON.stringify(index)};
      await pipeline("p").from([3000])
        .map(worker(${JSON.stringify(lifecycle.href)}, "shout", { maxWorkers: 1, stdout: "inherit" }))
        .to(() => {})
        .run();
      process.stdout.write("run ended\\n");
    `;
    const { code, out } = await runScript(script);
    assert.equal(code, 0);
    const printed = out.split("\n").filter((l) => l.startsWith("line "));
    assert.equal(printed.length, 3000, "no line lost when the pool ended its thread");
    assert.match(out, /run ended\n$/, "the lines arrived before the run resolved");
  });
});
