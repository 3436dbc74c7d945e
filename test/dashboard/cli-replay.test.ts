/**
 * `weir dashboard job.ts --db file` in a real Chromium: dead letters made by a real durable
 * `weir run` in a SQLite file are replayed from the page, one as stored and one with its item
 * edited, through the job module's own stages (its sink, a file, sees them). Without a job
 * module the replay buttons are disabled and say why, and the API answers a coded 501.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { sqliteStore } from "../../src/sqlite.js";
import { launchChromium, skipWithoutChromium } from "./chromium.js";

/** The little of the DOM the page functions below use (this file is compiled without the DOM's types). */
declare const document: { getElementById(id: string): { textContent: string | null } | null };

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin/weir.js");
const job = "test/fixtures/durable/dlq-pipe.ts";

/** `weir dashboard …` until it prints its URL; stopped (SIGTERM, then SIGKILL) by the caller. */
async function startDashboard(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, "dashboard", ...args], { cwd: root, env });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /weir dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`weir dashboard exited (${code}): ${out}${err}`)));
  });
  return { child, url, exited };
}

async function status(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => document.getElementById("status")?.textContent === t, text);
}

describe("weir dashboard <job> in Chromium", { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "weir-dashboard-cli-"));
  const db = join(dir, "weir.db");
  const sink = join(dir, "sink.txt");
  const env = { ...process.env, WEIR_DB: db, DLQ_SINK: sink, WEIR_RUN_DIR: join(dir, "runs") };
  let browser: Browser;

  before(async () => {
    // a real durable run: items 30 and 40 fail the "check" stage and become dead letters 1 and 2
    const made = spawnSync(process.execPath, [bin, "run", "--durable", "--no-progress", job], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(made.status, 0, made.stderr);
    assert.deepEqual(readFileSync(sink, "utf8").split("\n").filter(Boolean), ["11", "21"]);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("without a job module, the replay buttons are disabled and say why; the API answers 501", async () => {
    const d = await startDashboard(["--db", db], env);
    const page = await browser.newPage();
    try {
      await page.goto(`${d.url}#/dead-letters`);
      await page.click('[data-dead-letter="1"]');
      await page.waitForSelector("#dl-item");
      assert.ok(await page.locator("#replay-one").isDisabled());
      assert.ok(await page.locator("#edit-replay").isDisabled());
      const why = (await page.locator("#replay-one").getAttribute("title")) ?? "";
      assert.match(why, /weir dashboard <job\.ts> --db <file>/, "the tooltip says how to enable replay");
      assert.equal(await page.locator("#replay-off").textContent(), why, "and the page says it too");
      const token = new URL(d.url).searchParams.get("token")!;
      const res = await fetch(new URL("/api/dead-letters/replay", d.url), {
        method: "POST",
        headers: { "x-weir-token": token, "x-weir-csrf": token },
        body: JSON.stringify({ ids: [1] }),
      });
      assert.equal(res.status, 501);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "WEIR_DASHBOARD_UNSUPPORTED");
      assert.match(body.error.message, /job module/);
      d.child.kill("SIGTERM");
      assert.equal(await d.exited, 0);
    } finally {
      await page.close();
      d.child.kill("SIGKILL");
    }
  });

  it("with the job module, replays a dead letter and an edited one from the page: the job's sink sees both", async () => {
    const d = await startDashboard([job, "--db", db], { ...env, DLQ_FIXED: "1" });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      await page.goto(`${d.url}#/dead-letters`);
      await page.click('[data-dead-letter="1"]');
      await page.waitForSelector("#dl-item");
      assert.equal(JSON.parse(await page.locator("#dl-item").inputValue()), 30);
      assert.equal(await page.locator("#replay-one").getAttribute("title"), null, "no tooltip: replay is on");
      await page.click("#replay-one");
      await status(page, "replayed 1");
      assert.deepEqual(readFileSync(sink, "utf8").split("\n").filter(Boolean), ["11", "21", "31"]);

      await page.click('[data-dead-letter="2"]');
      await page.waitForFunction(() => document.getElementById("dl-item")?.textContent === "40");
      await page.fill("#dl-item", "400");
      // the status still reads "replayed 1" from the first replay: wait for this replay's answer
      const answered = page.waitForResponse((r) => r.url().endsWith("/api/dead-letters/replay"));
      await page.click("#edit-replay");
      assert.equal((await answered).status(), 200);
      await status(page, "replayed 1");
      assert.deepEqual(
        readFileSync(sink, "utf8").split("\n").filter(Boolean),
        ["11", "21", "31", "401"],
        "the edited item went through the failed stage and the sink",
      );
      await using store = sqliteStore({ path: db });
      const letters = (await store.deadLetters.list({})).records;
      assert.deepEqual(
        letters.map((l) => [l.id, l.replayedAt !== undefined]),
        [
          [1, true],
          [2, true],
        ],
        "both marked replayed; nothing failed again",
      );
      assert.deepEqual(errors, []);
      d.child.kill("SIGTERM");
      assert.equal(await d.exited, 0);
    } finally {
      await page.close();
      d.child.kill("SIGKILL");
    }
  });
});

describe("weir dashboard's job module argument", () => {
  it("refuses two modules (exit 2) and a module that does not load (exit 1), before listening", () => {
    const weir = (args: string[]): { code: number | null; out: string } => {
      const r = spawnSync(process.execPath, [bin, "dashboard", ...args], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      });
      return { code: r.status, out: r.stdout + r.stderr };
    };
    const two = weir(["a.ts", "b.ts"]);
    assert.equal(two.code, 2);
    assert.match(two.out, /one job module at most, received "a\.ts", "b\.ts"/);
    const missing = weir(["no-such-job.ts", "--db", ":memory:"]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /WEIR_LOAD_FAILED|no-such-job\.ts: no such file/);
    assert.doesNotMatch(missing.out, /http:\/\//, "nothing listened");
  });
});
