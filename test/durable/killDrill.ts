import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { ended } from "../helpers.js";

const script = fileURLToPath(new URL("../fixtures/durable/drill.ts", import.meta.url));

/** What a kill drill saw. */
export interface DrillReport {
  readonly total: number;
  readonly kills: number;
  /** Child processes started (kills + the one that finished). */
  readonly starts: number;
  /** Items done when each child started (its checkpoint), in order. */
  readonly startedFrom: readonly number[];
  /** Rows in the SQLite sink's table, and how many distinct keys. */
  readonly rows: number;
  readonly distinctRows: number;
  /** Keys expected but missing, and rows with the wrong value. */
  readonly missing: number;
  readonly wrong: number;
  /** Writes the transactional sink made beyond one per item (replays it upserted over). */
  readonly sinkRewrites: number;
  /** Lines the counting sink appended beyond one per item: its duplicates. */
  readonly countDuplicates: number;
  /** The most duplicates one kill caused in the counting sink. */
  readonly maxCountDuplicatesPerKill: number;
  /**
   * Counting-sink lines of a resumed child for items below the checkpoint it started from (its
   * `startedFrom`), counted before: items its run had recorded done, run again. Must be 0.
   */
  readonly recountedBelowCheckpoint: number;
  readonly ms: number;
}

/**
 * Runs the drill: starts the child, SIGKILLs it at a random point of its progress (once the counting
 * sink grew by a random share of what is left) after it says RUNNING, `kills` times, then lets one
 * run to the end; reads the sink back.
 */
export async function killDrill(options: {
  readonly dir: string;
  readonly total: number;
  readonly kills: number;
  readonly random?: () => number;
}): Promise<DrillReport> {
  const { dir, total, kills } = options;
  const random = options.random ?? Math.random;
  const db = join(dir, "drill.db");
  const countFile = join(dir, "count.txt");
  writeFileSync(countFile, "");
  const started = performance.now();
  let killed = 0;
  let starts = 0;
  // the counting sink's lines, read after each child: a key seen before is a duplicate of that restart
  const seen = new Set<string>();
  let readUpTo = 0;
  let countDuplicates = 0;
  let maxPerKill = 0;
  const startedFrom: number[] = [];
  let recountedBelowCheckpoint = 0;
  /** Reads the lines the last child appended; `from`: the checkpoint it started from. */
  const readNew = (from: number): number => {
    const text = readFileSync(countFile, "utf8");
    const fresh = text.slice(readUpTo, text.lastIndexOf("\n") + 1);
    readUpTo += fresh.length;
    let dup = 0;
    for (const key of fresh.split("\n")) {
      if (key === "") continue;
      if (seen.has(key)) {
        dup++;
        if (Number(key.slice("drill/".length)) < from) recountedBelowCheckpoint++;
      } else seen.add(key);
    }
    return dup;
  };
  for (;;) {
    starts++;
    const child = spawn(process.execPath, ["--import", "tsx", script, db, countFile, String(total)], {
      stdio: ["ignore", "inherit", "pipe"],
    });
    let err = "";
    const exited = ended(child).then((e) => e.code);
    const running = new Promise<boolean>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("RUNNING")) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    if (killed < kills && (await running)) {
      // killed at a random point of its own progress, not of the wall clock: a fast machine
      // would finish before a timed kill; at most 1/(kills left + 1) of what remains is done first
      const from = Number(/FROM (\d+)/.exec(err)?.[1] ?? 0);
      const share = (total - from) / (kills - killed + 1);
      await progressed(countFile, readUpTo, Math.max(1, Math.floor(random() * share)) * bytesPerLine(total), exited);
      child.kill("SIGKILL");
      await exited;
    }
    const code = await exited;
    const said = /FROM (\d+)/.exec(err);
    const from = said === null ? 0 : Number(said[1]);
    if (said !== null) startedFrom.push(from);
    const dup = readNew(from);
    countDuplicates += dup;
    if (starts > 1) maxPerKill = Math.max(maxPerKill, dup);
    if (code === null) {
      killed++;
      continue;
    }
    if (code !== 0) throw new Error(`the drill's child exited with ${code}:\n${err}`);
    if (err.includes("DONE")) break;
  }
  const conn = new Database(db, { readonly: true });
  const rows = conn.prepare("SELECT key, i, v FROM drill_rows").all() as Array<{ key: string; i: number; v: number }>;
  const writes = (conn.prepare("SELECT count(*) AS n FROM drill_writes").get() as { n: number }).n;
  conn.close();
  const byKey = new Map(rows.map((r) => [r.key, r]));
  let missing = 0;
  let wrong = 0;
  for (let i = 0; i < total; i++) {
    const r = byKey.get(`drill/${i}`);
    if (r === undefined) missing++;
    else if (r.i !== i || r.v !== i * i) wrong++;
  }
  return {
    total,
    kills: killed,
    startedFrom,
    starts,
    rows: rows.length,
    distinctRows: byKey.size,
    missing,
    wrong,
    sinkRewrites: writes - total,
    countDuplicates,
    maxCountDuplicatesPerKill: maxPerKill,
    recountedBelowCheckpoint,
    ms: Math.round(performance.now() - started),
  };
}

/** Bytes of one counting-sink line (`drill/<i>\n`), at most. */
function bytesPerLine(total: number): number {
  return "drill/".length + String(total).length + 1;
}

/** Resolves once `file` grew `bytes` past `from` (polled every 2 ms), or the child exited. */
async function progressed(file: string, from: number, bytes: number, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!done && statSync(file).size < from + bytes) await new Promise((r) => setTimeout(r, 2));
}
