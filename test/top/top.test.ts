/**
 * `weir run --metrics-port` and `weir top` against a real `weir run` process: /metrics scraped and
 * parsed back while it runs, then `weir top` driven in a real terminal (tmux on a private socket):
 * its table read from the screen, the run stopped with the `s` key. The run registers itself in
 * the store's `processes` table (a real SQLite file) with a heartbeat, and leaves it when it
 * ends; a killed run's row is pruned by `weir top`; a run without a store is found through the
 * machine's registry.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExposition, value } from "../metrics/parseExposition.js";
import { StoreRegistry } from "../../src/top/StoreRegistry.js";
import { STALE_MS } from "../../src/top/LiveRegistry.js";
import { ended } from "../helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = `${root}bin/weir.js`;
const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"]);
    return true;
  } catch {
    return false;
  }
})();

/** Resolves once `pattern` shows in what `read` returns; rejects after `ms`. */
async function until<T>(read: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The rows of the store's `processes` table (read with a connection of the test's own). */
function processRows(file: string): Array<{ pid: number; address: string; run_ids: string; heartbeat_at: number }> {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT pid, address, run_ids, heartbeat_at FROM processes").all() as Array<{
      pid: number;
      address: string;
      run_ids: string;
      heartbeat_at: number;
    }>;
  } finally {
    db.close();
  }
}

/** The environment for a run and a `weir top` that see only this test's store and registry. */
function isolated(dir: string, store: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WEIR_RUN_DIR: join(dir, "runs") };
  if (store) env.WEIR_DB = join(dir, "weir.db");
  else delete env.WEIR_DB;
  return env;
}

function startRun(
  env: NodeJS.ProcessEnv,
  cwd = root,
  extra: readonly string[] = [],
): {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [bin, "run", "--no-progress", "--metrics-port", "0", ...extra, join(root, "test/fixtures/cli/endless.mjs")],
    {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = ended(child).then((e) => e.code);
  return { child, stderr: () => err, exited };
}

describe("weir run --metrics-port and weir top, against a real run", { timeout: 120_000 }, () => {
  it("serves /metrics while it runs; weir top finds it in the store, shows its stages in a terminal and stops it with s", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    const env = isolated(dir, true);
    const run = startRun(env);
    const socket = `weir-top-test-${process.pid}`;
    t.after(() => {
      run.child.kill("SIGKILL");
      if (hasTmux) {
        try {
          execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const url = await until(() => /weir: metrics on (\S+)/.exec(run.stderr())?.[1], "the metrics URL");
    await until(() => (run.stderr().includes("RUNNING") ? true : undefined), "the run to start");
    // registered in the store (WEIR_DB), with a heartbeat; not in the machine's registry
    const [row] = await until(() => {
      const rows = processRows(env.WEIR_DB!);
      return rows.length > 0 ? rows : undefined;
    }, "the run's row in the store");
    assert.equal(row!.pid, run.child.pid);
    assert.match(row!.address, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
    assert.deepEqual(JSON.parse(row!.run_ids), [], "a run that is not durable has no run id in the store");
    await until(
      () => (processRows(env.WEIR_DB!)[0]!.heartbeat_at > row!.heartbeat_at ? true : undefined),
      "a second heartbeat",
    );
    assert.equal(existsSync(env.WEIR_RUN_DIR!), false, "the machine's registry was not used");

    // /metrics, parsed back: the counts grow between two scrapes
    const scrape = async (): Promise<ReturnType<typeof parseExposition>> => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      return parseExposition(await res.text());
    };
    const first = await scrape();
    const at = { pipeline: "cli-endless", stage: "tick", context: "async" };
    assert.equal(value(first, "weir_runs_active", { pipeline: "cli-endless" }), 1);
    assert.equal(value(first, "weir_stage_queue_capacity", at), 1);
    assert.equal(value(first, "weir_stage_concurrency_limit", at), 8);
    const before = value(first, "weir_stage_items_received_total", at);
    await new Promise((r) => setTimeout(r, 300));
    const second = await scrape();
    assert.ok(value(second, "weir_stage_items_received_total", at) > before);
    assert.ok(value(second, "weir_stage_busy_seconds_total", at) > 0);
    assert.equal(first.types.get("weir_main_loop_delay_seconds"), "gauge");

    if (!hasTmux) {
      t.diagnostic("tmux is not installed: the terminal part is skipped");
      return;
    }
    // weir top in a real terminal, 160x40
    execFileSync("tmux", [
      "-L",
      socket,
      "new-session",
      "-d",
      "-x",
      "160",
      "-y",
      "40",
      "-e",
      `WEIR_RUN_DIR=${env.WEIR_RUN_DIR}`,
      "-e",
      `WEIR_DB=${env.WEIR_DB}`,
      `${process.execPath} ${bin} top`,
    ]);
    const screen = (): string => execFileSync("tmux", ["-L", socket, "capture-pane", "-p"], { encoding: "utf8" });
    const pid = run.child.pid!;
    const table = await until(() => {
      const s = screen();
      return s.includes(`cli-endless:${pid}`) && /\btick\b/.test(s) ? s : undefined;
    }, "weir top to show the run");
    assert.match(table, /weir top — 1 run/);
    assert.match(table, /RUN\s+STAGE\s+CTX\s+IN\/S\s+OUT\/S\s+ERRORS\s+QUEUE\s+BUSY\s+P50\s+P99\s+WORKERS/);
    const tick = table.split("\n").find((l) => /\btick\b/.test(l))!;
    assert.match(tick, /^>cli-endless:\d+\s+tick( \*)?\s+async\s+[\d,]+\s+[\d,]+\s+0\s+[01]\/1\s+\d+%/);
    // a second frame shows a rate: items keep flowing
    await until(() => {
      const row = screen()
        .split("\n")
        .find((l) => /\btick\b/.test(l));
      const cells = row?.trim().split(/\s{2,}/);
      return cells !== undefined && Number(cells[3]?.replace(/,/g, "")) > 0 ? true : undefined;
    }, "a non-zero in/s");
    // s stops the selected run: it drains and exits 0
    execFileSync("tmux", ["-L", socket, "send-keys", "s"]);
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /SIGTERM: stopping/);
    await until(
      () => (screen().includes("no weir run on this machine") ? true : undefined),
      "the run to leave the table",
    );
    assert.deepEqual(processRows(env.WEIR_DB!), [], "the run's row left the store when it ended");
    execFileSync("tmux", ["-L", socket, "send-keys", "q"]);
    await until(() => {
      try {
        execFileSync("tmux", ["-L", socket, "has-session"], { stdio: "ignore" });
        return undefined;
      } catch {
        return true;
      }
    }, "weir top to quit on q");
  });

  it("without a store, a run registers in the machine's registry; weir top --once --address prints one frame of it; a wrong token gets 401", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    const env = isolated(dir, false);
    const run = startRun(env, dir); // no WEIR_DB, no .weir/weir.db in its working directory
    t.after(() => {
      run.child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    await until(() => (run.stderr().includes("RUNNING") ? true : undefined), "the run to start");
    const entries = execFileSync("sh", ["-c", `cat "${env.WEIR_RUN_DIR}"/*.json`], { encoding: "utf8" });
    const address = (JSON.parse(entries) as { address: string }).address;
    const frame = execFileSync(process.execPath, [bin, "top", "--once", "--address", address], {
      cwd: root,
      encoding: "utf8",
    });
    assert.match(frame, new RegExp(`cli-endless:${run.child.pid}\\s+tick`));
    // weir top without --address finds it through the machine's registry
    const all = execFileSync(process.execPath, [bin, "top", "--once"], { cwd: dir, env, encoding: "utf8" });
    assert.match(all, new RegExp(`cli-endless:${run.child.pid}\\s+tick`));
    assert.equal(existsSync(join(dir, ".weir")), false, "no store file was made for it");
    const bad = new URL(address);
    bad.searchParams.set("token", "0".repeat(32));
    bad.pathname = "/status";
    assert.equal((await fetch(bad)).status, 401);
    bad.pathname = "/stop";
    bad.searchParams.set("token", new URL(address).searchParams.get("token")!);
    assert.equal((await fetch(bad, { method: "POST" })).status, 403, "a stop needs its header");
    run.child.kill("SIGTERM");
    assert.equal(await run.exited, 0);
  });
  it("a durable run registers with its run id; once it is killed, weir top --db prunes its row", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    const env = isolated(dir, false);
    const db = join(dir, "jobs.db");
    const run = startRun({ ...env, WEIR_DB: db }, dir, ["--durable"]);
    t.after(() => {
      run.child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    await until(() => (run.stderr().includes("RUNNING") ? true : undefined), "the run to start");
    const runId = /durable run (\S+) in /.exec(run.stderr())?.[1];
    assert.ok(runId !== undefined, run.stderr());
    const rows = processRows(db);
    assert.deepEqual(
      rows.map((r) => [r.pid, JSON.parse(r.run_ids) as unknown]),
      [[run.child.pid, [runId]]],
    );
    const top = (): string =>
      execFileSync(process.execPath, [bin, "top", "--once", "--db", db], { cwd: dir, env, encoding: "utf8" });
    assert.match(top(), new RegExp(`cli-endless:${run.child.pid}\\s+tick`));

    run.child.kill("SIGKILL"); // no exit handler runs: its row stays until a reader sees the pid gone
    await run.exited;
    assert.equal(processRows(db).length, 1, "a killed process leaves its row behind");
    assert.match(top(), /no weir run on this machine .*searched the store .*jobs\.db/);
    assert.deepEqual(processRows(db), [], "weir top deleted the row of the dead process");

    const missing = spawn(process.execPath, [bin, "top", "--once", "--db", join(dir, "nope.db")], { cwd: dir, env });
    let err = "";
    missing.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const { code } = await ended(missing);
    assert.equal(code, 1);
    assert.match(err, /weir top: no store at .*nope\.db/);
    assert.equal(existsSync(join(dir, "nope.db")), false, "weir top never makes a store file");
  });

  it("a row whose heartbeat is older than the stale bound is ignored and deleted (injected clock)", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "weir.db");
    const unregister = new StoreRegistry(file).register({
      name: "here",
      kind: "run",
      address: "http://127.0.0.1:1/?token=x",
      startedAt: Date.now(),
    });
    const reader = new StoreRegistry(file);
    try {
      assert.deepEqual(
        reader.list().map((e) => [e.name, e.pid]),
        [["here", process.pid]],
      );
      assert.deepEqual(reader.list(Date.now() + STALE_MS + 1_000), [], "stale: a stuck or stopped process");
      assert.deepEqual(processRows(file), [], "and pruned");
    } finally {
      unregister();
      reader.close();
    }
  });
});
