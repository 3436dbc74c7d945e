import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { sqliteStore, schemaVersion } from "../../src/sqlite.js";
import { WeirError } from "../../src/index.js";
import { runScript } from "../executor/harness.js";
import { storeConformance } from "./storeConformance.js";

const dir = mkdtempSync(join(tmpdir(), "weir-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `store-${++files}.db`);

storeConformance("sqlite", (options) => sqliteStore({ ...options, path: freshPath() }));

const plan = [{ name: "a", fingerprint: "1" }];

describe("sqlite store", () => {
  it("opens in WAL mode with synchronous NORMAL, or FULL with durability fsync; the schema is versioned", async () => {
    const normal = sqliteStore({ path: freshPath(), busyTimeoutMs: 1234, maxBytes: 1 << 20 });
    assert.deepEqual(normal.settings(), {
      path: normal.location,
      journalMode: "wal",
      synchronous: "NORMAL",
      busyTimeoutMs: 1234,
      walAutoCheckpointPages: 0,
      maxBytes: 1 << 20,
      schemaVersion,
    });
    await normal.close();
    const db = new Database(normal.location, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal", "WAL is recorded in the file");
    assert.equal(db.pragma("user_version", { simple: true }), schemaVersion);
    db.close();
    const fsync = sqliteStore({ path: freshPath(), durability: "fsync", walCheckpoint: "inline" });
    assert.equal(fsync.settings().synchronous, "FULL");
    assert.equal(fsync.settings().walAutoCheckpointPages, 1000);
    await fsync.close();
  });

  it("defaults to .weir/weir.db under the working directory; WEIR_DB overrides it", async () => {
    const cwd = process.cwd();
    const work = mkdtempSync(join(dir, "cwd-"));
    const saved = process.env["WEIR_DB"];
    try {
      process.chdir(work);
      delete process.env["WEIR_DB"];
      const store = sqliteStore();
      assert.equal(store.location, join(work, ".weir", "weir.db"));
      await store.close();
      process.env["WEIR_DB"] = join(work, "elsewhere", "x.db");
      const other = sqliteStore();
      assert.equal(other.location, join(work, "elsewhere", "x.db"));
      await other.close();
      assert.ok(existsSync(join(work, "elsewhere", "x.db")));
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env["WEIR_DB"];
      else process.env["WEIR_DB"] = saved;
    }
  });

  it("what was committed survives closing and reopening the file", async () => {
    const path = freshPath();
    const first = sqliteStore({ path });
    const run = await first.createRun({ id: "r", kind: "workflow", name: "wf", plan });
    run.recordTaskResult("extract", { rows: [1, 2] }, { attempts: 1 });
    run.addDeadLetter({
      key: "r/x",
      stage: "load",
      item: { id: 1 },
      error: new Error("x"),
      attempts: 2,
      firstFailedAt: 1,
    });
    await first.close(); // releases the run
    const second = sqliteStore({ path });
    const resumed = await second.resumeRun("r", { kind: "workflow", plan });
    assert.equal(resumed.epoch, 2);
    assert.deepEqual((await resumed.taskResults()).get("extract")?.result, { rows: [1, 2] });
    assert.equal(await second.deadLetters.count({ runId: "r" }), 1);
    await second.close();
  });

  it("WAL checkpoints run on their own thread: the database file fills while the writer never checkpoints", async () => {
    const path = freshPath();
    const store = sqliteStore({ path });
    assert.equal(store.settings().walAutoCheckpointPages, 0, "the writer's connection never checkpoints");
    const run = await store.createRun({ id: "r", kind: "pipeline", name: "p", plan });
    const before = statSync(path).size;
    const item = "w".repeat(1000);
    for (let i = 0; i < 6000; i++) run.inboxAdd(i, item); // ~6 MB: past the 4 MB that asks the thread
    await run.commit();
    // the thread copies the WAL into the file; wait for it (the test's timeout is the hang guard)
    while (statSync(path).size < before + 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await run.inbox({ limit: 10_000 })).length, 6000);
    await store.close();
  });

  it("a process that ends without close() still commits what it queued", async () => {
    const path = freshPath();
    const src = new URL("../../src/sqlite.ts", import.meta.url).href;
    const { code } = await runScript(`
      import { sqliteStore } from ${JSON.stringify(src)};
      const store = sqliteStore({ path: ${JSON.stringify(path)}, commitWindowMs: 60000 });
      const run = await store.createRun({ id: "r", kind: "pipeline", name: "p", plan: [] });
      run.inboxAdd(1, "queued, never committed by the window");
      // the process ends here: the window's timer does not keep it alive
    `);
    assert.equal(code, 0);
    const store = sqliteStore({ path });
    const run = await store.resumeRun("r", { kind: "pipeline", plan: [] });
    assert.deepEqual(await run.inbox(), [{ index: 1, item: "queued, never committed by the window" }]);
    await store.close();
  });

  it("a file with a newer schema is refused with WEIR_STORE_SCHEMA_NEWER and left unchanged", async () => {
    const path = freshPath();
    await sqliteStore({ path }).close();
    const db = new Database(path);
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    assert.throws(
      () => sqliteStore({ path }),
      (e) => WeirError.is(e) && e.code === "WEIR_STORE_SCHEMA_NEWER" && e.message.includes(`${schemaVersion + 1}`),
    );
    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma("user_version", { simple: true }), schemaVersion + 1);
    check.close();
  });

  it("another application's SQLite file is refused, not migrated", () => {
    const path = freshPath();
    const db = new Database(path);
    db.exec("CREATE TABLE mine (x)");
    db.close();
    assert.throws(
      () => sqliteStore({ path }),
      (e) => WeirError.is(e) && e.code === "WEIR_STORE_CORRUPT" && /another application/.test(e.message),
    );
    const check = new Database(path, { readonly: true });
    assert.deepEqual(check.prepare("SELECT name FROM sqlite_master").all(), [{ name: "mine" }]);
    check.close();
  });

  it("the native module loads only through weir/sqlite", async () => {
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default as {
      exports: Record<string, unknown>;
    };
    assert.deepEqual(pkg.exports["./sqlite"], {
      types: "./dist/sqlite.d.ts",
      import: "./dist/sqlite.js",
      default: "./dist/sqlite.js", // require("weir/sqlite") where Node can require ES modules
    });
  });
});
