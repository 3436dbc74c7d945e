/**
 * Checkpoints record the keys done above the low watermark (ranges), per source: items that
 * finished out of order before a SIGKILL are not run again on resume; a batch on its way holds
 * every item it carries; several sources each resume from their own watermark, with keys that
 * name the source.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { pipeline } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-done-ranges-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../fixtures/durable/out-of-order.ts", import.meta.url));
const TOTAL = 600;
const BLOCKED = [0, 250, 401];
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Runs the fixture; with `killWhenDone`, SIGKILLs it once its checkpoint counts that many items done. */
async function child(db: string, calls: string, args: string[], killWhenDone?: number): Promise<void> {
  const proc = spawn(process.execPath, ["--import", "tsx", script, db, calls, ...args], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  if (killWhenDone !== undefined) {
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && doneCount(db) < killWhenDone) await new Promise((r) => setTimeout(r, 5));
    proc.kill("SIGKILL");
    assert.equal(await exited, null, `the child ended before it was killed:\n${err}`);
    return;
  }
  assert.equal(await exited, 0, err);
}

/** Items the run's last committed checkpoint counts done (-1 before the first). */
function doneCount(db: string, runId = "ooo"): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const row = conn.prepare("SELECT done_count AS n FROM checkpoints WHERE run_id = ?").get(runId) as
        { n: number } | undefined;
      return row?.n ?? -1;
    } finally {
      conn.close();
    }
  } catch {
    return -1; // not created yet
  }
}

function callsByKey(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of readFileSync(file, "utf8").split("\n")) if (key !== "") counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

function sinkKeys(db: string): string[] {
  const conn = new Database(db, { readonly: true });
  const rows = conn.prepare("SELECT key FROM rows").all() as Array<{ key: string }>;
  conn.close();
  return rows.map((r) => r.key);
}

describe("done ranges above the low watermark", () => {
  it("items done out of order before a SIGKILL do not run again on resume (one source)", async () => {
    const db = join(dir, "one.db");
    const calls = join(dir, "one.calls");
    writeFileSync(calls, "");
    // every item but the blocked ones finishes; the watermark stays at 0 (item 0 never does)
    await child(db, calls, ["one", "start", "block"], TOTAL - BLOCKED.length);
    await child(db, calls, ["one", "resume", "free"]);
    const counts = callsByKey(calls);
    const expected = range(TOTAL).map((i) => `ooo/${i}`);
    assert.deepEqual([...counts.keys()].sort(), [...expected].sort());
    for (const key of expected) {
      const blocked = BLOCKED.includes(Number(key.slice(4)));
      assert.equal(counts.get(key), blocked ? 2 : 1, `${key} ran ${counts.get(key)} times`);
    }
    const keys = sinkKeys(db);
    assert.equal(keys.length, TOTAL);
    assert.deepEqual([...keys].sort(), [...expected].sort());
  });

  it("two sources: each resumes from its own watermark and done ranges; keys name the source", async () => {
    const db = join(dir, "two.db");
    const calls = join(dir, "two.calls");
    writeFileSync(calls, "");
    // source a blocks positions 0, 250, 401; source b (items 1000 + i) the same positions
    await child(db, calls, ["two", "start", "block"], 2 * (TOTAL - BLOCKED.length));
    await child(db, calls, ["two", "resume", "free"]);
    const counts = callsByKey(calls);
    const expected = [...range(TOTAL).map((i) => `ooo/a/${i}`), ...range(TOTAL).map((i) => `ooo/b/${i}`)];
    assert.deepEqual([...counts.keys()].sort(), [...expected].sort());
    for (const key of expected) {
      const blocked = BLOCKED.includes(Number(key.split("/")[2]));
      assert.equal(counts.get(key), blocked ? 2 : 1, `${key} ran ${counts.get(key)} times`);
    }
    const keys = sinkKeys(db);
    assert.equal(keys.length, 2 * TOTAL);
    assert.deepEqual([...keys].sort(), [...expected].sort());
  });

  it("a batch on its way holds every item it carries: none is counted done before it is", async () => {
    const db = join(dir, "batch.db");
    await using store = sqliteStore({ path: db });
    const calls = new Map<number, number>();
    const sunk: number[][] = [[], []];
    let attempt = 0;
    let held: number[] = [];
    const p = pipeline("batched")
      .from(range(41)) // items 1..40 fill ten batches of four
      .map(
        async (x: number, ctx) => {
          calls.set(x, (calls.get(x) ?? 0) + 1);
          // item 0 never finishes in the first run: the watermark stays at 0
          if (attempt === 0 && x === 0) await new Promise((r) => ctx.signal.addEventListener("abort", r));
          return x;
        },
        { name: "first", concurrency: 8, ordered: false },
      )
      .batch({ size: 4, name: "fours" })
      .map(
        async (batch: number[], ctx) => {
          // the batch holding item 9 stays on its way in the first run
          if (attempt === 0 && batch.includes(9)) {
            held = batch;
            await new Promise((r) => ctx.signal.addEventListener("abort", r));
          }
          return batch;
        },
        { name: "second", concurrency: 4, ordered: false },
      )
      .to((batch: number[]) => void sunk[attempt]!.push(...batch), { name: "sink" });
    const run = p.run({ store, runId: "batched" });
    // wait until the checkpoint counts everything but item 0 and the held batch done
    for (;;) {
      const record = await store.getRun("batched");
      if (held.length > 0 && record !== undefined && record.progress.done >= 41 - 1 - held.length) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await run.stop({ graceMs: 0 });
    assert.equal((await store.getRun("batched"))?.progress.done, 41 - 1 - held.length);
    attempt = 1;
    await p.run({ store, resume: "batched" });
    const redone = [0, ...held].sort((a, b) => a - b);
    assert.deepEqual(
      [...sunk[1]!].sort((a, b) => a - b),
      redone,
    );
    assert.deepEqual(
      [...sunk[0]!, ...sunk[1]!].sort((a, b) => a - b),
      range(41),
    );
    for (const x of range(41)) assert.equal(calls.get(x), redone.includes(x) ? 2 : 1, `item ${x}`);
  });

  it("a batch being filled holds the items it has: while it waits for more, none of them counts done", async () => {
    await using store = sqliteStore({ path: join(dir, "filling.db") });
    const sunk: number[] = [];
    let release!: () => void;
    const stall = new Promise<void>((r) => (release = r));
    const run = pipeline("filling")
      .from(async function* (): AsyncGenerator<number> {
        for (let i = 0; i < 14; i++) yield i;
        await stall; // items 10..13 wait here in the batch of ten being filled
      })
      .batch({ size: 10, name: "tens" })
      .to((batch: number[]) => void sunk.push(...batch), { name: "sink" })
      .run({ store, runId: "filling" });
    for (;;) {
      const record = await store.getRun("filling");
      if (sunk.length === 10 && record !== undefined && record.progress.done >= 10) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    // the checkpoints written meanwhile (the sink's batch done, the commit timer) hold them back
    await new Promise((r) => setTimeout(r, 100));
    const whileFilling = (await store.getRun("filling"))?.progress.done;
    release();
    await run;
    assert.equal(whileFilling, 10);
    assert.equal((await store.getRun("filling"))?.progress.done, 14);
    assert.deepEqual(sunk, range(14));
  });

  it("two sources, one through the inbox: a resume replays its admitted items under their old keys", async () => {
    await using store = sqliteStore({ path: join(dir, "inbox-two.db") });
    let next = 0;
    const queue = async function* (): AsyncGenerator<number> {
      while (next < 300) yield 1000 + next++; // a queue (what was read is gone from it), items 1000 + i
    };
    let gate: Promise<void> | undefined;
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    const calls = new Map<string, number>();
    let onItem = (_x: number, _key: string): void => {};
    const start = pipeline("inbox-two");
    const p = start
      .from(range(50), { name: "a" })
      .merge(start.from(queue, { name: "q" }))
      .map(
        async (x: number, ctx) => {
          calls.set(ctx.key!, (calls.get(ctx.key!) ?? 0) + 1);
          if (x >= 1100 && gate !== undefined) await gate; // queue items 100.. stay in flight
          return x;
        },
        { name: "work", concurrency: 16, ordered: false },
      )
      .map((x: number) => x, { name: "pass" })
      .to((x: number, ctx) => onItem(x, ctx.key!), { name: "sink" });
    const first: string[] = [];
    const run = p.run({ store, runId: "inbox-two" });
    onItem = (_x, key) => {
      first.push(key);
    };
    // wait until every item of "a" and the queue's first 100 are done and checkpointed
    while (((await store.getRun("inbox-two"))?.progress.done ?? 0) < 150) await new Promise((r) => setTimeout(r, 5));
    await run.stop({ graceMs: 0 });
    gate = undefined;
    release();
    const inFlight = next - 100; // read from the queue, never done
    assert.ok(inFlight > 0);
    const second: string[] = [];
    onItem = (_x, key) => void second.push(key);
    await p.run({ store, resume: "inbox-two" });
    // what the queue gave away came back from the inbox, under the same keys
    for (let i = 100; i < 100 + inFlight; i++) assert.ok(second.includes(`inbox-two/q/${i}`), `q/${i} was lost`);
    const all = new Set([...first, ...second]);
    const expected = [...range(50).map((i) => `inbox-two/a/${i}`), ...range(300).map((i) => `inbox-two/q/${i}`)];
    assert.deepEqual([...all].sort(), [...expected].sort());
    // nothing of "a" nor the queue's first 100 ran twice: they were done at the checkpoint
    for (const key of expected.slice(0, 150)) assert.equal(calls.get(key), 1, key);
  });

  it("checkpoints items done while the watermark and the source stand still", async () => {
    const path = join(dir, "still.db");
    await using store = sqliteStore({ path });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = pipeline("still")
      .from(range(20))
      .map(
        async (x: number, ctx) => {
          if (x === 0) await new Promise((r) => ctx.signal.addEventListener("abort", r));
          else await gate;
          return x;
        },
        { name: "work", concurrency: 32, ordered: false },
      )
      .to(() => {})
      .run({ store, runId: "still" });
    // every item pulled and in flight, and checkpointed so; then 1..19 finish at once, item 0 never
    while (run.snapshot().stages[1]!.inFlight < 20 || doneCount(path, "still") !== 0)
      await new Promise((r) => setTimeout(r, 5));
    release();
    let done = 0;
    // bounded only so that a regression fails instead of hanging: nothing here is timed
    for (let i = 0; i < 1000 && done < 19; i++) {
      await new Promise((r) => setTimeout(r, 5));
      done = doneCount(path, "still");
    }
    assert.equal(done, 19, "the items done above the watermark reached a checkpoint");
    await run.stop({ graceMs: 0 });
  });
});
