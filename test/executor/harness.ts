import { execFileSync, spawn } from "node:child_process";
import type { Executor } from "../../src/executor/Executor.js";

/** Fixture module of stage functions. */
export const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url);

/** How one attempt ended. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Executes one attempt; resolves with how it ended. Fails the test if settle is called twice. */
export function attempt(
  exec: Executor,
  item: unknown,
  index = 0,
  signal: AbortSignal = new AbortController().signal,
  attemptNo = 1,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    const once = (o: Outcome): void => {
      if (settled) reject(new Error(`item ${index} settled twice`));
      settled = true;
      resolve(o);
    };
    exec.execute(
      { item, index, attempt: attemptNo, signal },
      { resolve: (value) => once({ ok: true, value }), reject: (error) => once({ ok: false, error }) },
    );
  });
}

/** Executes every item in the same tick (one micro-batch); resolves with all outcomes in order. */
export function attemptAll(exec: Executor, items: readonly unknown[], signal?: AbortSignal): Promise<Outcome[]> {
  return Promise.all(items.map((item, i) => attempt(exec, item, i, signal)));
}

/** Values of fulfilled outcomes; throws on the first rejection. */
export function values(outcomes: readonly Outcome[]): unknown[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.error;
    return o.value;
  });
}

/** The `code` of an error-like value. */
export function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** True while `pid` runs (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" })
      .trim()
      .startsWith("Z");
  } catch {
    return false;
  }
}

/** Live (non-zombie) members of process group `pgid`, as `pid pgid stat args` lines. */
export function groupMembers(pgid: number): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,pgid=,stat=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number(f[1]) === pgid && !f[2]!.startsWith("Z"))
    .map((f) => f.join(" "));
}

/** Polls `done` every 10 ms until it holds or `ms` have passed; returns whether it held. */
export async function eventually(done: () => boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The process group of `pid`. */
export function groupOf(pid: number): number {
  return Number(execFileSync("ps", ["-o", "pgid=", "-p", String(pid)], { encoding: "utf8" }).trim());
}

/** Runs an ES module script in a fresh Node (through tsx); resolves with its exit code and stdout. */
export async function runScript(script: string): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  // "close", not "exit": the process may exit before all it wrote has been read
  const code = await new Promise<number | null>((resolve) => p.once("close", resolve));
  return { code, out };
}
