/**
 * `weir runs` and `weir dlq`, spawned as the real CLI against a real SQLite file: listing, showing,
 * filtering, replaying (a workflow's dead letter by resuming its run, a pipeline's through the
 * stage it failed in) and purging; the file from --db or $WEIR_DB; usage errors exit 2.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { persistDeadLetter } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";
import { job, wf } from "../fixtures/durable/dlq-jobs.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = `${root}bin/weir.js`;
const dir = mkdtempSync(join(tmpdir(), "weir-cli-store-"));
const db = join(dir, "weir.db");
const sink = join(dir, "sink.txt");
after(() => rmSync(dir, { recursive: true, force: true }));

function weir(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, DLQ_SINK: sink, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  process.env.DLQ_SINK = sink; // the first run's sink writes there too
  await using store = sqliteStore({ path: db });
  const r = await wf.run({ store, runId: "wf-1" });
  assert.equal(r.state, "failed");
  const handle = await store.createRun({ id: "pipe-1", kind: "pipeline", name: "dlq-pipe", plan: [], total: 4 });
  const run = job.run();
  run.on("stage:dead-letter", (d) => {
    persistDeadLetter(handle, {
      key: `pipe-1/${d.index}`,
      stage: d.stage,
      index: d.index,
      item: d.item,
      error: d.error,
      attempts: d.attempts,
      firstFailedAt: Date.now(),
    });
  });
  await run;
  await handle.finish("completed");
});

describe("weir runs", { timeout: 600_000 }, () => {
  it("lists the runs, with state and progress, as a table or JSON", () => {
    const r = weir(["runs", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+KIND\s+NAME\s+STATE\s+PROGRESS\s+STARTED\s+ENDED/);
    assert.match(r.stdout, /wf-1\s+workflow\s+dlq-wf\s+failed\s+1\/2 \(1 dl\)/);
    assert.match(r.stdout, /pipe-1\s+pipeline\s+dlq-pipe\s+completed\s+0\/4 \(2 dl\)/);
    const json = JSON.parse(weir(["runs", "--json"], { WEIR_DB: db }).stdout) as { id: string; state: string }[];
    assert.deepEqual(json.map((x) => x.id).sort(), ["pipe-1", "wf-1"]);
  });

  it("shows one run; an unknown id exits 1", () => {
    const r = weir(["runs", "show", "wf-1", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /workflow "dlq-wf"/);
    assert.match(r.stdout, /plan\s+\w+: load, charge/);
    assert.match(r.stdout, /TaskError \[WEIR_TASK_FAILED\]/);
    assert.equal(weir(["runs", "show", "nope", "--db", db]).code, 1);
  });

  it("a store file that does not exist is not created", () => {
    const missing = join(dir, "none.db");
    const r = weir(["runs", "--db", missing]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no store at/);
    assert.throws(() => readFileSync(missing));
  });
});

describe("weir dlq", { timeout: 600_000 }, () => {
  it("ls filters by pipeline, workflow, stage, code and since", () => {
    const all = weir(["dlq", "ls", "--db", db]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split("\n").length, 4, all.stdout); // header + 3
    const byCode = JSON.parse(weir(["dlq", "ls", "--db", db, "--code", "E_DECLINED", "--json"]).stdout) as {
      stage: string;
    }[];
    assert.deepEqual(
      byCode.map((l) => l.stage),
      ["charge"],
    );
    const pipe = JSON.parse(
      weir(["dlq", "ls", "--db", db, "--pipeline", "dlq-pipe", "--stage", "check", "--json"]).stdout,
    ) as {
      item: number;
    }[];
    assert.deepEqual(
      pipe.map((l) => l.item),
      [30, 40],
    );
    const future = JSON.parse(weir(["dlq", "ls", "--db", db, "--since", "2999-01-01", "--json"]).stdout) as unknown[];
    assert.equal(future.length, 0);
    assert.equal(JSON.parse(weir(["dlq", "ls", "--db", db, "--since", "1h", "--json"]).stdout).length, 3);
  });

  it("show prints the item, the error with its stack, and the key", () => {
    const id = (
      JSON.parse(weir(["dlq", "ls", "--db", db, "--workflow", "dlq-wf", "--json"]).stdout) as { id: number }[]
    )[0]!.id;
    const r = weir(["dlq", "show", String(id), "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /task\s+charge/);
    assert.match(r.stdout, /key\s+wf-1\/charge/);
    assert.match(r.stdout, /Error \[E_DECLINED\]: card declined/);
    assert.match(r.stdout, /at /);
    assert.equal(weir(["dlq", "show", "999", "--db", db]).code, 1);
  });

  it("replay: a pipeline's items through the stage they failed in, a workflow's by resuming its run", () => {
    const stillBroken = weir([
      "dlq",
      "replay",
      "--all",
      "--pipeline",
      "dlq-pipe",
      "--file",
      "test/fixtures/durable/dlq-pipe.ts",
      "--db",
      db,
    ]);
    assert.equal(stillBroken.code, 1, stillBroken.stderr);
    assert.match(stillBroken.stdout, /replayed 2: 0 went through, 2 failed again/);
    const fixed = weir(
      ["dlq", "replay", "--all", "--pipeline", "dlq-pipe", "--file", "test/fixtures/durable/dlq-pipe.ts", "--db", db],
      {
        DLQ_FIXED: "1",
      },
    );
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /replayed 2: 2 went through, 0 failed again/);
    const sunk = readFileSync(sink, "utf8")
      .trim()
      .split("\n")
      .map(Number)
      .sort((a, b) => a - b);
    assert.deepEqual(sunk, [11, 21, 31, 41], "30 and 40 went through check (+1) again, not through scale (×10)");
    const wfReplay = weir(
      ["dlq", "replay", "--all", "--workflow", "dlq-wf", "--file", "test/fixtures/durable/dlq-wf.ts", "--db", db],
      {
        DLQ_FIXED: "1",
      },
    );
    assert.equal(wfReplay.code, 0, wfReplay.stderr);
    assert.match(wfReplay.stdout, /replayed 1: 1 went through/);
    assert.match(weir(["runs", "--db", db]).stdout, /wf-1\s+workflow\s+dlq-wf\s+completed\s+2\/2/);
    assert.match(weir(["dlq", "ls", "--db", db]).stdout, /no dead letters/);
  });

  it("purge deletes what it names; without ids or --all it is a usage error", () => {
    const bad = weir(["dlq", "purge", "--db", db]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--all/);
    const r = weir(["dlq", "purge", "--all", "--replayed", "--db", db, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { purged: number }).purged, 5);
    assert.match(weir(["dlq", "ls", "--replayed", "--db", db]).stdout, /no dead letters/);
  });

  it("usage errors exit 2 with the command's usage", () => {
    const r = weir(["dlq", "nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: weir dlq ls/);
    assert.equal(weir(["dlq", "replay", "3"]).code, 2, "replay needs --file");
    assert.equal(weir(["dlq", "ls", "--since", "yesterday"]).code, 2);
    assert.match(weir(["help", "runs"]).stdout, /usage: weir runs/);
  });
});
