/**
 * Kill drill for durable workflows: a child Node process runs a real workflow (58 tasks, 10 of
 * them added at run time) on a real SQLite file and is SIGKILLed mid-DAG, 10 times, at random
 * points; each time the run is resumed. Every task appends its name to a file (its side effect).
 * After the last resume: every task ran, and no task whose result was stored when a kill struck
 * ran again after that kill (a task in flight at a kill, its side effect done but its result not
 * committed, runs again: that is the at-least-once window of an outside side effect).
 */
import { it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const dir = mkdtempSync(join(tmpdir(), "weir-wf-drill-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../fixtures/durable/workflow-drill.ts", import.meta.url));
const db = join(dir, "drill.db");
const side = join(dir, "side.txt");
const adder = join(dir, "adder.txt");
const taskCount = 6 * 8 + 10;

const lines = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];

/** Starts the child; kills it once `killAfter` more side effects appeared (or lets it finish when undefined). */
async function generation(mode: "create" | "resume", killAfter: number | undefined): Promise<"killed" | number> {
  const base = lines(side).length;
  const child = spawn(process.execPath, ["--import", "tsx", script, db, side, adder, mode], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  if (killAfter !== undefined) {
    let done = false;
    void exited.then(() => (done = true));
    while (!done && lines(side).length < base + killAfter) await new Promise((r) => setTimeout(r, 3));
    if (!done) {
      child.kill("SIGKILL");
      await exited;
      return "killed";
    }
  }
  const code = await exited;
  assert.equal(code, 0, `the run should complete: ${out}`);
  return code;
}

function storedTasks(): Set<string> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn.prepare("SELECT task FROM task_results WHERE run_id = ?").all("drill") as { task: string }[];
    return new Set(rows.map((r) => r.task));
  } finally {
    conn.close();
  }
}

it("10 SIGKILLs mid-DAG: a task whose result was stored never runs again", { timeout: 600_000 }, async () => {
  /** Per task: the side file's length (in lines) at the first kill that found its result stored. */
  const storedAtKill = new Map<string, number>();
  let kills = 0;
  let mode: "create" | "resume" = "create";
  while (kills < 10) {
    const outcome = await generation(mode, 1 + Math.floor(Math.random() * 4));
    mode = "resume";
    if (outcome !== "killed") break;
    kills++;
    const length = lines(side).length;
    for (const t of storedTasks()) if (!storedAtKill.has(t)) storedAtKill.set(t, length);
  }
  assert.equal(kills, 10, "the workflow should still be running at each of the 10 kills");
  assert.ok(storedAtKill.size > 0 && storedAtKill.size < taskCount, `stored at kills: ${storedAtKill.size}`);
  await generation("resume", undefined);

  const all = lines(side);
  const counts = new Map<string, number>();
  for (const name of all) counts.set(name, (counts.get(name) ?? 0) + 1);
  assert.equal(counts.size, taskCount, "every task ran");
  assert.equal(storedTasks().size, taskCount + 1, "every task's result is stored (and the adder's)");
  let checked = 0;
  for (const [t, length] of storedAtKill) {
    if (t === "adder") continue;
    const later = all.slice(length).filter((name) => name === t).length;
    assert.equal(later, 0, `${t} was stored before a kill, so it must not run again after it`);
    checked++;
  }
  assert.ok(checked > 0);
  const twice = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
  // only tasks in flight at one of the 10 kills (their side effect done, their result not committed yet)
  assert.ok(twice.length <= kills * 4, `ran more than once: ${twice.join(", ")}`);
  // a completed run resumed again runs nothing
  const before = lines(side).length;
  await generation("resume", undefined);
  assert.equal(lines(side).length, before);
});
