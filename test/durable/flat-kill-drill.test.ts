/**
 * The flatMap kill drill: a real child process runs a durable pipeline whose items expand into
 * children (lazily, unordered) through async and worker-thread stages into a `sqliteSink` keyed on
 * ctx.key; it is SIGKILLed three times at points of its progress, then resumed to the end. The
 * table must hold exactly one row per child, under the child's key (`flat/<i>/<j>`), which every
 * stage saw the same: a resume expands an unfinished parent again and its children get the same
 * keys as before.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const dir = mkdtempSync(join(tmpdir(), "weir-flat-drill-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../fixtures/durable/flat-drill.ts", import.meta.url));
const TOTAL = 3_000;
/** Children of item i: 1 + i % 4. */
const ROWS = Array.from({ length: TOTAL }, (_, i) => 1 + (i % 4)).reduce((a, b) => a + b, 0);

interface Row {
  key: string;
  tag: string;
  worker_key: string;
  i: number;
  j: number;
}

function rows(db: string): Row[] {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare("SELECT key, tag, worker_key, i, j FROM flat_rows").all() as Row[];
    } finally {
      conn.close();
    }
  } catch {
    return []; // the file or the table is not there yet
  }
}

function rowCount(db: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare("SELECT count(*) AS n FROM flat_rows").get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

/** Runs the child; with `killAt`, SIGKILLs it once the sink holds that many rows. Returns whether it was killed. */
async function run(db: string, killAt?: number): Promise<boolean> {
  const proc = spawn(process.execPath, ["--import", "tsx", script, db, String(TOTAL)], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => ((gone = true), resolve(code))));
  if (killAt === undefined) {
    assert.equal(await exited, 0, err);
    return false;
  }
  while (!gone && rowCount(db) < killAt) await new Promise((r) => setTimeout(r, 3));
  proc.kill("SIGKILL");
  const code = await exited;
  if (code !== null) assert.equal(code, 0, err);
  return code === null;
}

describe("flatMap kill drill", () => {
  it("SIGKILLed mid-children three times, resumed: exactly one row per child under its key", async () => {
    const db = join(dir, "flat.db");
    let kills = 0;
    for (const share of [0.1, 0.35, 0.6]) if (await run(db, Math.floor(ROWS * share))) kills++;
    assert.ok(kills >= 2, `killed ${kills} times`);
    await run(db);
    const table = rows(db);
    const detail = `rows ${table.length} of ${ROWS}`;
    const expected = new Set<string>();
    for (let i = 0; i < TOTAL; i++) for (let j = 0; j < 1 + (i % 4); j++) expected.add(`flat/${i}/${j}`);
    assert.equal(table.length, ROWS, detail);
    for (const r of table) {
      assert.ok(expected.has(r.key), `unexpected key ${r.key}`);
      assert.equal(r.key, `flat/${r.i}/${r.j}`);
      // the async stage and the worker thread saw the key the sink wrote under
      assert.equal(r.tag, r.key);
      assert.equal(r.worker_key, r.key);
    }
    assert.equal(new Set(table.map((r) => r.key)).size, ROWS, detail);
  });
});
