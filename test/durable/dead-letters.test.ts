/**
 * Dead letters that outlive the process: a durable workflow's failed task is a row (key, task,
 * item, error class/code/message/stack/cause, attempts, times); rows are listed with filters,
 * shown, replayed (a pipeline's through the stage it failed in and what follows; a workflow's by
 * resuming its run) and purged. An item the store cannot carry stays in memory.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  pipeline,
  persistDeadLetter,
  replayDeadLetters,
  worker,
  workflow,
  WeirError,
  memoryStore,
} from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-dlq-"));
after(() => rmSync(dir, { recursive: true, force: true }));

class QuotaError extends Error {
  readonly code = "E_QUOTA";
}

describe("workflow dead letters", () => {
  it("a task that failed for good is a row; replay resumes its run", async () => {
    await using store = sqliteStore({ path: join(dir, "wf.db") });
    let broken = true;
    const wf = workflow("report")
      .task("fetch", () => ({ rows: 3 }))
      .task("render", { after: ["fetch"], retry: { attempts: 2, baseMs: 0 } }, ({ results }) => {
        if (broken) throw new QuotaError("over quota", { cause: new Error("429") });
        return results.fetch.rows * 2;
      });
    const first = await wf.run({ store, runId: "rep-1" });
    assert.equal(first.state, "failed");
    const page = await store.deadLetters.list({ runName: "report" });
    assert.equal(page.records.length, 1);
    const letter = page.records[0]!;
    assert.equal(letter.runKind, "workflow");
    assert.equal(letter.runId, "rep-1");
    assert.equal(letter.key, "rep-1/render");
    assert.equal(letter.stage, "render");
    assert.deepEqual(letter.item, { fetch: { rows: 3 } });
    assert.equal(letter.attempts, 2);
    assert.equal(letter.error.name, "Error");
    assert.equal(letter.error.code, "E_QUOTA");
    assert.equal(letter.error.message, "over quota");
    assert.match(letter.error.stack ?? "", /over quota/);
    assert.equal(letter.error.causes[0]?.message, "429");
    assert.equal((await store.deadLetters.list({ code: "E_QUOTA" })).records.length, 1);
    assert.equal((await store.deadLetters.list({ code: "NOPE" })).records.length, 0);
    assert.equal((await store.getRun("rep-1"))?.progress.deadLetters, 1);

    broken = false;
    const report = await replayDeadLetters(wf, { store });
    assert.deepEqual(report, { replayed: 1, succeeded: 1, failedAgain: 0, runIds: ["rep-1"], unstored: 0 });
    assert.equal((await store.getRun("rep-1"))?.state, "completed");
    assert.notEqual((await store.deadLetters.get(letter.id))?.replayedAt, undefined);
    // nothing left to replay
    assert.equal((await replayDeadLetters(wf, { store })).replayed, 0);
  });
});

describe("pipeline dead letters", () => {
  it("replay runs the item through the stage it failed in and what follows, keeping its key", async () => {
    await using store = memoryStore();
    let broken = true;
    let doubled = 0;
    const sunk: number[] = [];
    const p = pipeline<number>("orders")
      .from([1, 2, 3, 4, 5])
      .map(
        (n: number) => {
          doubled++;
          return n * 2;
        },
        { name: "double" },
      )
      .map(
        (n: number) => {
          if (broken && n % 4 !== 0) throw new Error(`bad ${n}`);
          return n + 1;
        },
        { name: "enrich", onError: "dead-letter" },
      )
      .to((n: number) => void sunk.push(n), { name: "write" });

    // what a durable pipeline run does with its dead letters (the store side of it)
    const handle = await store.createRun({
      kind: "pipeline",
      name: "orders",
      plan: [{ name: "enrich", fingerprint: "1" }],
    });
    const run = p.run();
    run.on("stage:dead-letter", (d) => {
      const outcome = persistDeadLetter(handle, {
        key: `${handle.id}/${d.index}`,
        stage: d.stage,
        index: d.index,
        item: d.item,
        error: d.error,
        attempts: d.attempts,
        firstFailedAt: 1000,
      });
      assert.equal(outcome.stored, true);
    });
    await run;
    await handle.finish("completed");
    assert.deepEqual(
      sunk.sort((a, b) => a - b),
      [5, 9],
    );
    const stored = (await store.deadLetters.list({ runName: "orders", stage: "enrich" })).records;
    assert.deepEqual(
      stored.map((l) => [l.key, l.item]),
      [
        [`${handle.id}/0`, 2],
        [`${handle.id}/2`, 6],
        [`${handle.id}/4`, 10],
      ],
    );
    assert.equal((await store.deadLetters.list({ since: 1001 })).records.length, 3, "lastFailedAt defaults to now");
    assert.equal((await store.deadLetters.list({ stage: "double" })).records.length, 0);

    // one replayed with an edit, failing again: a new row with the same key
    const edited = await replayDeadLetters(p, { store, ids: [stored[0]!.id], edit: () => 3 });
    assert.equal(edited.failedAgain, 1);
    const again = (await store.deadLetters.list({ replayed: false })).records;
    assert.equal(again.length, 3);
    assert.equal(again.at(-1)?.key, stored[0]!.key);
    assert.equal(again.at(-1)?.item, 3);

    broken = false;
    doubled = 0;
    const report = await replayDeadLetters(p, { store });
    assert.equal(report.replayed, 3);
    assert.equal(report.succeeded, 3);
    assert.equal(doubled, 0, "the stages before the failed one do not run again");
    assert.deepEqual(
      sunk.sort((a, b) => a - b),
      [4, 5, 7, 9, 11],
    );
    assert.equal(await store.deadLetters.count({ replayed: false }), 0);

    assert.equal(await store.deadLetters.purge({ runName: "orders" }), 4);
    assert.equal(await store.deadLetters.count(), 0);
  });

  it("inside a replay, ctx.key is the item's original key (inline, async and worker-thread stages)", async () => {
    await using store = sqliteStore({ path: join(dir, "replay-keys.db") });
    const stages = new URL("../fixtures/durable/stages.mjs", import.meta.url);
    let broken = true;
    const seen: Array<[string, string | undefined]> = [];
    const p = pipeline<number>("keyed")
      .from([10, 11, 12, 13, 14, 15])
      .map(
        (n: number, ctx) => {
          if (broken && n % 2 === 1) throw new Error(`odd ${n}`);
          seen.push(["check", ctx.key]);
          return n;
        },
        { name: "check", onError: "dead-letter" },
      )
      .map(async (n: number, ctx) => (seen.push(["async", ctx.key]), await Promise.resolve(n)), {
        name: "async",
        concurrency: 4,
      })
      .map(worker<number, { x: number; key: string; index: number }>(stages, "keyOf", { maxWorkers: 1 }), {
        name: "pool",
      })
      .to((r, ctx) => {
        seen.push(["pool", r.key]);
        seen.push(["sink", ctx.key]);
      });
    await p.run({ store, runId: "keyed-1" });
    const original = (await store.deadLetters.list({ runName: "keyed" })).records.map((l) => l.key);
    assert.deepEqual(original, ["keyed-1/1", "keyed-1/3", "keyed-1/5"]);
    broken = false;
    seen.length = 0;
    const report = await replayDeadLetters(p, { store });
    assert.equal(report.succeeded, 3);
    for (const stage of ["check", "async", "pool", "sink"]) {
      const keys = seen.filter(([s]) => s === stage).map(([, k]) => k);
      assert.deepEqual(keys.sort(), original, stage);
    }
  });

  it("an item the store cannot carry is refused at the call, so the run keeps it in memory", async () => {
    await using store = memoryStore();
    const handle = await store.createRun({ kind: "pipeline", name: "x", plan: [] });
    const outcome = persistDeadLetter(handle, {
      key: "k",
      stage: "s",
      item: () => 1,
      error: new Error("e"),
      attempts: 1,
      firstFailedAt: 0,
    });
    assert.equal(outcome.stored, false);
    assert.ok(!outcome.stored && WeirError.is(outcome.error) && outcome.error.code === "WEIR_NOT_SERIALIZABLE");
    assert.equal(await store.deadLetters.count(), 0);
    await handle.finish("completed");
  });

  it("replay refuses a stage the pipeline does not have and ids of another pipeline", async () => {
    await using store = memoryStore();
    const p = pipeline<number>("p")
      .from([1])
      .map((n: number) => n, { name: "m" });
    const handle = await store.createRun({ kind: "pipeline", name: "other", plan: [] });
    handle.addDeadLetter({ key: "k", stage: "m", item: 1, error: new Error("e"), attempts: 1, firstFailedAt: 0 });
    await handle.finish("completed");
    const id = (await store.deadLetters.list()).records[0]!.id;
    await assert.rejects(replayDeadLetters(p, { store, ids: [id] }), { code: "WEIR_INVALID_OPTION" });
    const h2 = await store.createRun({ kind: "pipeline", name: "p", plan: [] });
    h2.addDeadLetter({ key: "k", stage: "gone", item: 1, error: new Error("e"), attempts: 1, firstFailedAt: 0 });
    await h2.finish("completed");
    await assert.rejects(replayDeadLetters(p, { store }), { code: "WEIR_INVALID_OPTION", message: /"gone"/ });
  });
});
