// Module-load failures in worker-thread and child-process pools: a module that throws at top level
// once is a transient fault of one worker (it is replaced, the items it held run elsewhere); one
// that never loads fails the stage's items with a coded load error, and the pool stops trying
// after a few attempts with backoff.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { child, pipeline, WeirError, worker, workflow, type DeadLetter } from "../../src/index.js";

const flaky = new URL("../fixtures/faults/flakyLoad.mjs", import.meta.url);
const broken = new URL("../fixtures/faults/brokenLoad.mjs", import.meta.url);

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "weir-load-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A URL of the flaky module whose first load (by any worker) throws, and its marker file. */
let markers = 0;
function flakyOnce(): [URL, string] {
  const url = new URL(flaky);
  const marker = join(dir, `first-${markers++}`);
  url.searchParams.set("marker", marker);
  return [url, marker];
}

for (const [label, make] of [
  ["thread", worker],
  ["process", child],
] as const) {
  describe(`${label} pool: module-load failures`, () => {
    it("a module that throws at top level on its first load only (one of two workers) loses no item", async () => {
      const [url, marker] = flakyOnce();
      const stage = make<number, number>(url, "inc", { minWorkers: 2, maxWorkers: 2 });
      const out: number[] = [];
      const result = await pipeline<number>("flaky-load")
        .from(Array.from({ length: 50 }, (_, i) => i))
        .map(stage, { concurrency: 2, onError: "dead-letter" })
        .to((x) => void out.push(x))
        .run();
      assert.deepEqual(
        result.deadLetters.map((d) => String(d.error)),
        [],
        "no item is dead-lettered for a worker's failed load",
      );
      assert.deepEqual(
        out,
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.ok(existsSync(marker), "a worker failed to load the module");
    });

    it("with retry: the items of the failed worker run on its replacement, each once", async () => {
      const [url, marker] = flakyOnce();
      const stage = make<number, number>(url, "inc", { maxWorkers: 2 });
      const out: number[] = [];
      const result = await pipeline<number>("flaky-load-retry")
        .from(Array.from({ length: 50 }, (_, i) => i))
        .map(stage, { name: "bump", concurrency: 2, retry: 3, onError: "dead-letter" })
        .to((x) => void out.push(x))
        .run();
      assert.equal(result.deadLetters.length, 0);
      assert.equal(out.length, 50);
      assert.equal(result.stats.bump?.errors, 0, "a failed load fails no attempt");
      assert.equal(result.stats.bump?.retries, 0, "a failed load costs no retry");
      assert.ok(existsSync(marker), "a worker failed to load the module");
    });

    it("a module that never loads: every item fails with WEIR_LOAD_FAILED naming the module and export, its error as cause", async () => {
      const stage = make<number, number>(broken, "inc", { maxWorkers: 2, loadAttempts: 2 });
      const result = await pipeline<number>("never-loads")
        .from([1, 2, 3, 4, 5])
        .map(stage, { name: "bump", concurrency: 2, onError: "dead-letter" })
        .to(() => {})
        .run();
      assert.equal(result.deadLetters.length, 5);
      for (const d of result.deadLetters as DeadLetter[]) {
        const e = d.error;
        assert.ok(WeirError.is(e), `a weir error: ${String(e)}`);
        assert.equal(e.code, "WEIR_LOAD_FAILED");
        assert.equal(e.name, "ModuleLoadError");
        assert.match(e.message, /brokenLoad\.mjs/);
        assert.match(e.message, /"inc"/);
        assert.match(e.message, /stage "bump"/);
        const cause = e.cause as Error & { code?: string };
        assert.equal(cause.name, "RangeError");
        assert.equal(cause.message, "this module never loads");
        assert.equal(cause.code, "E_BROKEN_MODULE");
      }
    });

    it("a module that never loads fails a run under onError: fail with a StageError whose cause is the load error", async () => {
      const stage = make<number, number>(broken, "inc", { maxWorkers: 1, loadAttempts: 1 });
      await assert.rejects(
        pipeline<number>("never-loads-fail")
          .from([1, 2, 3])
          .map(stage, { name: "bump" })
          .to(() => {})
          .run(),
        (e: unknown) => {
          assert.ok(WeirError.is(e));
          assert.equal(e.code, "WEIR_STAGE_FAILED");
          assert.ok(WeirError.is(e.cause));
          assert.equal(e.cause.code, "WEIR_LOAD_FAILED");
          return true;
        },
      );
    });
  });
}

describe("workflow pool tasks: module-load failures", () => {
  it("a task whose worker's module fails to load once runs on the replacement, in one attempt", async () => {
    const [url, marker] = flakyOnce();
    const r = await workflow("flaky-task")
      .task("a", () => 1)
      .task("inc", { after: ["a"] }, child<{ a: number }, number>(url, "inc", { maxWorkers: 1 }))
      .run();
    assert.ok(r.ok, String(r.error));
    assert.ok(existsSync(marker), "a worker failed to load the module");
  });

  it("a task whose module never loads fails with WEIR_TASK_FAILED caused by the coded load error", async () => {
    const r = await workflow("broken-task")
      .task("inc", {}, worker<Record<string, never>, number>(broken, "inc", { maxWorkers: 1, loadAttempts: 2 }))
      .run();
    assert.equal(r.ok, false);
    const e = r.error;
    assert.ok(WeirError.is(e));
    assert.equal(e.code, "WEIR_TASK_FAILED");
    assert.ok(WeirError.is(e.cause));
    assert.equal(e.cause.code, "WEIR_LOAD_FAILED");
    assert.match(e.cause.message, /brokenLoad\.mjs/);
  });
});
