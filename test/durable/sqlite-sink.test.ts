/**
 * sqliteSink: rows go into the run's own SQLite file in the group commit's transaction, keyed on
 * ctx.key and upserted; refused outside a durable run on a SQLite store.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { memoryStore, pipeline, WeirError } from "../../src/index.js";
import { sqliteSink, sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-sqlite-sink-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Doc {
  title: string;
  words: number;
}
const docs: Doc[] = Array.from({ length: 500 }, (_, i) => ({ title: `doc ${i}`, words: i * 3 }));
const sink = sqliteSink<Doc>({ table: "docs", columns: ["title", "words"], row: (d) => [d.title, d.words] });

describe("sqliteSink", () => {
  it("writes one row per item, keyed on ctx.key, into the store's file", async () => {
    const path = join(dir, "a.db");
    const store = sqliteStore({ path });
    await pipeline("docs").from(docs).to(sink, { name: "save" }).run({ store, runId: "r1" });
    await store.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT key, title, words FROM docs ORDER BY rowid").all();
    db.close();
    assert.deepEqual(
      rows,
      docs.map((d, i) => ({ key: `r1/${i}`, title: d.title, words: d.words })),
    );
  });

  it("a replayed item rewrites its row (upsert on the key): a resumed run adds no row twice", async () => {
    const path = join(dir, "b.db");
    const store = sqliteStore({ path });
    let stopAt = 200;
    let seen = 0;
    const p = pipeline("docs2")
      .from(docs)
      .map(async (d) => d, { concurrency: 4 })
      .tap(() => {
        if (++seen === stopAt) void run.stop({ graceMs: 0 });
      })
      .to(sink, { name: "save" });
    const run = p.run({ store, runId: "r2" });
    await run;
    stopAt = -1;
    await p.run({ store, resume: "r2" });
    await store.close();
    const db = new Database(path, { readonly: true });
    const n = db.prepare("SELECT count(*) AS n, count(DISTINCT key) AS k FROM docs").get() as { n: number; k: number };
    db.close();
    assert.deepEqual(n, { n: 500, k: 500 });
  });

  it("is refused in a run without a store, and on a memory store", async () => {
    const refused = (error: unknown): boolean => {
      assert.ok(WeirError.is(error) || error instanceof Error);
      assert.match(String((error as Error).message), /store/);
      return true;
    };
    await assert.rejects(pipeline("plain").from(docs).to(sink).run(), refused);
    await assert.rejects(pipeline("mem").from(docs).to(sink).run({ store: memoryStore() }), /sqliteStore\(\)/);
    assert.throws(() => sqliteSink({ table: "t", columns: ["key"], row: () => [1] }), /columns/);
    assert.throws(() => sqliteSink({ table: "", columns: [], row: () => [] }), /table/);
  });
});
