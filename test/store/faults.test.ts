/**
 * The store's file under real faults: bytes that are not SQLite, a truncated copy, damaged pages,
 * a full disk (a size-capped file, and a real 1 MiB tmpfs where this process may mount one), a
 * read-only directory (another user's, and a read-only mount). Each gives a coded error; the file
 * is never rewritten; what was committed before stays readable.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sqliteStore } from "../../src/sqlite.js";
import { WeirError, type Store } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "weir-faults-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const openScript = fileURLToPath(new URL("../fixtures/store/openStore.ts", import.meta.url));
const plan = [{ name: "s", fingerprint: "1" }];
const code = (e: unknown): string | undefined => (WeirError.is(e) ? e.code : undefined);
const digest = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");
const isRoot = process.getuid?.() === 0;

/** A store file holding one released run with `items` inbox items of ~500 bytes. */
async function storeWithData(path: string, items = 200): Promise<void> {
  const store = sqliteStore({ path });
  const run = await store.createRun({ id: "r", kind: "pipeline", name: "p", plan });
  for (let i = 0; i < items; i++) run.inboxAdd(i, `item ${i} ${"y".repeat(500)}`);
  run.checkpoint({ watermark: 0 });
  await run.finish("running");
  await store.close(); // the last connection checkpoints the WAL into the file
}

/** Mounts a tmpfs at a fresh directory; undefined when this process may not mount. */
function mountTmpfs(options: string): string | undefined {
  if (!isRoot) return undefined;
  const at = mkdtempSync(join(dir, "tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", at], { stdio: "ignore" });
    return at;
  } catch {
    return undefined;
  }
}

function unmount(at: string): void {
  execFileSync("umount", [at], { stdio: "ignore" });
}

/** Writes inbox items of `size` bytes, committing every 10, until a commit fails; returns what was committed. */
async function fillUntilFull(store: Store, size: number): Promise<{ committed: number; error: unknown }> {
  const run = await store.createRun({ id: "big", kind: "pipeline", name: "p", plan });
  const item = "z".repeat(size);
  let committed = 0;
  for (let i = 0; i < 100_000; i++) {
    try {
      run.inboxAdd(i, item);
      if (i % 10 === 9) {
        await run.commit();
        committed = i + 1;
      }
    } catch (error) {
      return { committed, error };
    }
  }
  throw new Error("the store never filled up");
}

describe("store file faults", () => {
  it("a file that is not SQLite is refused with WEIR_STORE_CORRUPT, every time, unchanged", () => {
    const path = join(dir, "text.db");
    writeFileSync(path, "this is a text file, not a database\n".repeat(20));
    const before = digest(path);
    for (let attempt = 0; attempt < 2; attempt++) {
      assert.throws(
        () => sqliteStore({ path }),
        (e) => code(e) === "WEIR_STORE_CORRUPT" && /not a SQLite database/.test(String(e)),
      );
    }
    assert.equal(digest(path), before);
  });

  it("a truncated copy is refused with WEIR_STORE_CORRUPT naming the missing pages, unchanged", async () => {
    const whole = join(dir, "whole.db");
    await storeWithData(whole);
    const path = join(dir, "truncated.db");
    const bytes = readFileSync(whole);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const before = digest(path);
    assert.throws(
      () => sqliteStore({ path }),
      (e) => code(e) === "WEIR_STORE_CORRUPT" && /truncated/.test(String(e)),
    );
    assert.equal(digest(path), before);
    // the whole file still opens, with everything in it
    const store = sqliteStore({ path: whole });
    const run = await store.resumeRun("r", { kind: "pipeline", plan });
    assert.equal((await run.inbox({ limit: 1000 })).length, 200);
    await store.close();
  });

  it("damaged pages fail the read that meets them with WEIR_STORE_CORRUPT; the file is not rewritten", async () => {
    const whole = join(dir, "to-damage.db");
    await storeWithData(whole);
    const bytes = Buffer.from(readFileSync(whole));
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff; // every page after the schema page
    const path = join(dir, "damaged.db");
    writeFileSync(path, bytes);
    const before = digest(path);
    const store = sqliteStore({ path }); // the header and schema page are intact
    await assert.rejects(store.listRuns(), (e) => code(e) === "WEIR_STORE_CORRUPT");
    await assert.rejects(store.resumeRun("r", { kind: "pipeline", plan }), (e) => code(e) === "WEIR_STORE_CORRUPT");
    await store.close();
    assert.equal(digest(path), before);
  });

  it("a size-capped file that fills up fails the commit with WEIR_STORE_FULL; earlier commits stay", async () => {
    const path = join(dir, "capped.db");
    const store = sqliteStore({ path, maxBytes: 256 * 1024 });
    const { committed, error } = await fillUntilFull(store, 2000);
    assert.equal(code(error), "WEIR_STORE_FULL");
    assert.ok(committed > 0);
    // reads still work in the full store, and a fresh store without the cap has every committed item
    assert.equal((await store.getRun("big"))?.state, "running");
    await store.close();
    const reopened = sqliteStore({ path });
    const run = await reopened.resumeRun("big", { kind: "pipeline", plan, takeover: true });
    assert.equal((await run.inbox({ limit: 100_000 })).length, committed);
    await reopened.close();
  });

  it("a real full disk (1 MiB tmpfs) fails the commit with WEIR_STORE_FULL; earlier commits stay", async (t) => {
    const at = mountTmpfs("size=1m");
    if (at === undefined) {
      t.skip("cannot mount a tmpfs here (needs root); the size-capped test covers WEIR_STORE_FULL");
      return;
    }
    try {
      const path = join(at, "weir.db");
      const store = sqliteStore({ path });
      const { committed, error } = await fillUntilFull(store, 4000);
      assert.equal(code(error), "WEIR_STORE_FULL", String(error));
      await store.close(); // its last WAL checkpoint fails for want of space: the WAL keeps the pages
      // still full: a new store opens and reads what was committed (no crash, no loop)
      const stillFull = sqliteStore({ path });
      assert.equal((await stillFull.getRun("big"))?.state, "running");
      await stillFull.close();
      // space is freed: the committed items are all there
      execFileSync("mount", ["-o", "remount,size=8m", at], { stdio: "ignore" });
      const reopened = sqliteStore({ path });
      const run = await reopened.resumeRun("big", { kind: "pipeline", plan, takeover: true });
      assert.equal((await run.inbox({ limit: 100_000 })).length, committed);
      await reopened.close();
    } finally {
      unmount(at);
    }
  });

  it("a directory this user cannot write gives WEIR_STORE_READ_ONLY, for a new and an existing file", async () => {
    const ro = join(dir, "not-mine");
    mkdirSync(ro, { mode: 0o755 });
    await storeWithData(join(ro, "existing.db"), 5);
    const paths = ["new.db", "existing.db", "sub/new.db"].map((name) => join(ro, name));
    let answers: Record<string, unknown>[];
    if (isRoot) {
      // root writes anywhere: ask a process running as nobody
      const r = spawnSync(process.execPath, ["--import", "tsx", openScript, ...paths], {
        uid: 65534,
        gid: 65534,
        encoding: "utf8",
      });
      answers = r.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } else {
      chmodSync(ro, 0o555);
      try {
        answers = paths.map((path) => {
          try {
            sqliteStore({ path });
            return { opened: true };
          } catch (error) {
            return { code: code(error), message: String(error) };
          }
        });
      } finally {
        chmodSync(ro, 0o755);
      }
    }
    assert.equal(answers.length, 3);
    for (const answer of answers) {
      assert.equal(answer["code"], "WEIR_STORE_READ_ONLY", JSON.stringify(answer));
      assert.match(String(answer["message"]), /not writable|EACCES|permission/);
    }
  });

  it("a read-only mount gives WEIR_STORE_READ_ONLY and leaves the file unchanged", async (t) => {
    const at = mountTmpfs("size=4m");
    if (at === undefined) {
      t.skip("cannot mount a tmpfs here (needs root)");
      return;
    }
    try {
      const path = join(at, "weir.db");
      await storeWithData(path, 5);
      const before = digest(path);
      execFileSync("mount", ["-o", "remount,ro", at], { stdio: "ignore" });
      assert.throws(
        () => sqliteStore({ path }),
        (e) => code(e) === "WEIR_STORE_READ_ONLY" && /EROFS|read-only|not writable/.test(String(e)),
      );
      assert.equal(digest(path), before);
    } finally {
      unmount(at);
    }
  });
});
