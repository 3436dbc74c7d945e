/**
 * `weir run --metrics-port` and `weir top` against a real `weir run` process: /metrics scraped and
 * parsed back while it runs, then `weir top` driven in a real terminal (tmux on a private socket):
 * its table read from the screen, the run stopped with the `s` key.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExposition, value } from "../metrics/parseExposition.js";

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

function startRun(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [bin, "run", "--no-progress", "--metrics-port", "0", "test/fixtures/cli/endless.mjs"],
    {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, stderr: () => err, exited };
}

describe("weir run --metrics-port and weir top, against a real run", { timeout: 120_000 }, () => {
  it("serves /metrics while it runs; weir top shows its stages in a terminal and stops it with s", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    const env = { ...process.env, WEIR_RUN_DIR: join(dir, "runs") };
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

  it("weir top --once --address prints one frame of that run; a wrong token gets 401", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "weir-top-"));
    const env = { ...process.env, WEIR_RUN_DIR: join(dir, "runs") };
    const run = startRun(env);
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
});
