import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { WorkerOutOfMemoryError } from "../../src/errors/WorkerOutOfMemoryError.js";
import { child } from "../../src/executor/pool/stage/child.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { pipeline } from "../../src/index.js";
import { attempt, attemptAll, codeOf, eventually, fns, groupMembers, isAlive } from "./harness.js";
import { ended } from "../helpers.js";

const repo = new URL("../../", import.meta.url);
const srcIndex = new URL("../../src/index.ts", import.meta.url);

/** Live (non-zombie) processes in process group `pgid`, as `ps` lines. */

/** Asserts the grandchild and everything else in the pool child's group is gone (within 3 s). */
async function assertGone(grandchild: number, childPid: number): Promise<void> {
  assert.ok(await eventually(() => !isAlive(grandchild)), `grandchild ${grandchild} still runs`);
  assert.ok(
    await eventually(() => groupMembers(childPid).length === 0),
    `left in group ${childPid}: ${groupMembers(childPid).join("; ")}`,
  );
}

/**
 * A parent program: one pipeline whose child() stage spawns a grandchild on its first item; the
 * source then waits for SIGTERM (which only an app handler, when `handle`, reports) and sends
 * three more items through the same stage; the parent prints them and exits 0.
 */
function parentScript(handle: boolean): string {
  return `
    import { pipeline, child } from ${JSON.stringify(srcIndex.href)};
    const stage = child(${JSON.stringify(fns.href)}, "spawnGrandchild", { maxWorkers: 1 });
    let signalled = () => {};
    const terminated = new Promise((resolve) => (signalled = resolve));
    if (${handle}) process.on("SIGTERM", () => signalled());
    async function* items() {
      yield "spawn";
      await terminated;
      yield 1; yield 2; yield 3;
    }
    const after = [];
    for await (const r of pipeline("pg").from(items).map(stage, { name: "gc" }).stream()) {
      if (r.grandchild !== undefined) console.log(JSON.stringify(r));
      else {
        after.push(r);
        if (after.length === 3) {
          console.log(JSON.stringify({ after }));
          process.exit(0);
        }
      }
    }
  `;
}

interface Parent {
  readonly first: { pid: number; grandchild: number };
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the parent program from a temp .mts file; resolves once it printed the grandchild's pid. */
async function startParent(dir: string, handle: boolean): Promise<Parent> {
  const file = join(dir, "parent.mts");
  await writeFile(file, parentScript(handle));
  const p = spawn(process.execPath, ["--import", "tsx", file], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const exit = ended(p).then(({ code, signal }) => ({ code, signal, out }));
  const first = await new Promise<string>((resolve, reject) => {
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exit.then(({ code, signal }) => reject(new Error(`parent exited early (${code ?? signal}): ${out}`)));
  });
  return { first: JSON.parse(first) as Parent["first"], exit, kill: (s) => p.kill(s) };
}

describe("process groups", () => {
  it("SIGTERM handled by the app: the pool's children live on and serve more items; after exit 0 no grandchild remains", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-pg-"));
    try {
      const parent = await startParent(dir, true);
      const { pid, grandchild } = parent.first;
      assert.ok(isAlive(grandchild), "the grandchild runs before the signal");
      parent.kill("SIGTERM");
      const { code, signal, out } = await parent.exit;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, out);
      const last = out.trim().split("\n").at(-1)!;
      const { after } = JSON.parse(last) as { after: Array<{ pid: number; x: number }> };
      // the same child process ran the items sent after the signal: the signal did not kill it
      assert.deepEqual(
        after,
        [1, 2, 3].map((x) => ({ pid, x })),
      );
      await assertGone(grandchild, pid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("SIGTERM with no handler: the parent dies of the signal and its children's groups go with it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-pg-"));
    try {
      const parent = await startParent(dir, false);
      const { pid, grandchild } = parent.first;
      assert.ok(isAlive(grandchild), "the grandchild runs before the signal");
      parent.kill("SIGTERM");
      const { code, signal, out } = await parent.exit;
      assert.deepEqual({ code, signal }, { code: null, signal: "SIGTERM" }, out);
      await assertGone(grandchild, pid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("close() of an executor whose child spawned a grandchild kills the grandchild", async () => {
    const e = createExecutor(child(fns, "spawnGrandchild", { maxWorkers: 1 }), "gc");
    const o = await attempt(e, "spawn");
    assert.ok(o.ok);
    const { pid, grandchild } = o.value as { pid: number; grandchild: number };
    assert.ok(isAlive(grandchild), "the grandchild outlives its item");
    await e.close();
    await assertGone(grandchild, pid);
  });

  it("a process heap bomb under execArgv --max-old-space-size fails that item with WEIR_WORKER_OUT_OF_MEMORY", async () => {
    const e = createExecutor(
      child(fns, "heapBomb", { maxWorkers: 1, execArgv: ["--max-old-space-size=64"] }),
      "heapBomb",
    );
    try {
      const o = await attempt(e, "bomb");
      assert.equal(o.ok, false);
      const error = (o as { error: unknown }).error;
      assert.equal(codeOf(error), "WEIR_WORKER_OUT_OF_MEMORY");
      assert.ok(error instanceof WorkerOutOfMemoryError);
      assert.deepEqual(await attemptAll(e, [1, 2]), [
        { ok: true, value: 1 },
        { ok: true, value: 2 },
      ]);
    } finally {
      await e.close();
    }
  });

  it("a timed-out child item that honours its signal: its process is retired and its grandchild killed while the run goes on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-pg-"));
    const pidFile = join(dir, "pid");
    let grandchild = 0;
    let goneDuringRun = false;
    // the source yields the grandchild item, then holds the run open until the grandchild is gone
    // (at most 10 s), then yields more items
    async function* items(): AsyncGenerator<string> {
      yield pidFile;
      goneDuringRun = await eventually(() => {
        if (grandchild === 0) {
          try {
            grandchild = Number(readFileSync(pidFile, "utf8"));
          } catch {
            return false;
          }
        }
        return !isAlive(grandchild);
      }, 10_000);
      yield "a";
      yield "b";
    }
    try {
      const out: unknown[] = [];
      const result = await pipeline("g")
        .from(items)
        .map(child<string, string>(fns, "grandchildUntilAbort", { maxWorkers: 1 }), {
          name: "g",
          timeoutMs: 300,
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      assert.ok(grandchild > 0, "the grandchild's pid was written");
      assert.ok(goneDuringRun, `grandchild ${grandchild} still ran 10 s after its item timed out`);
      assert.deepEqual(out, ["a", "b"]);
      assert.equal(result.deadLetters.length, 1);
      const [dead] = result.deadLetters;
      assert.equal(dead!.index, 0);
      assert.equal(codeOf(dead!.error), "WEIR_TIMEOUT");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
