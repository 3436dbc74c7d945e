import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { WorkerCrashedError } from "../../src/errors/WorkerCrashedError.js";
import { WorkerOutOfMemoryError } from "../../src/errors/WorkerOutOfMemoryError.js";
import { child } from "../../src/executor/pool/stage/child.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { worker } from "../../src/executor/pool/stage/worker.js";
import type { PoolExecutor } from "../../src/executor/pool/executor/PoolExecutor.js";
import {
  attempt,
  attemptAll,
  codeOf,
  eventually,
  fns,
  groupMembers,
  groupOf,
  isAlive,
  runScript,
  type Outcome,
} from "./harness.js";
import { turns } from "../helpers.js";

/** Node's permission model flag: `--experimental-permission` on Node 20 and 21, `--permission` from 22. */
const permissionModel =
  Number(process.versions.node.split(".")[0]) >= 22 ? "--permission" : "--experimental-permission";

/**
 * Starts a parent whose child process runs the fixture `fn` (it writes a pid, then hangs in a busy
 * loop), checks the live processes with `check(pid)`, SIGKILLs the parent (no handler runs) and
 * waits until the process of the pid is gone: the child's watchdog killed its group.
 */
async function orphanDrill(fn: string, execArgv: string[], check: (pid: number) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "weir-orphan-"));
  const pidFile = join(dir, "pid");
  const parent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL("../fixtures/workers/orphanParent.mjs", import.meta.url).pathname,
      new URL("../../src", import.meta.url).href,
      fns.href,
      pidFile,
      fn,
      JSON.stringify(execArgv),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let pid = 0;
  try {
    const line = await new Promise<string>((resolve) => {
      let out = "";
      parent.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out);
      });
    });
    pid = (JSON.parse(line) as { pid: number }).pid;
    assert.ok(isAlive(pid));
    check(pid);
    const exited = new Promise((resolve) => parent.once("exit", resolve));
    parent.kill("SIGKILL");
    await exited;
    // the child is stuck in a busy loop: only its watchdog can kill the group now
    assert.ok(await eventually(() => !isAlive(pid), 10_000), `process ${pid} outlived its parent by 10 s`);
  } finally {
    parent.kill("SIGKILL");
    if (pid > 0 && isAlive(pid)) process.kill(-groupOf(pid), "SIGKILL"); // a failed drill leaves nothing running
    await rm(dir, { recursive: true, force: true });
  }
}

/** Retries an item while it fails with WEIR_WORKER_CRASHED, like a stage with a retry policy. */
async function withRetry(e: PoolExecutor, item: number, index: number, attempts: number): Promise<Outcome> {
  let o: Outcome = { ok: false, error: new Error("never ran") };
  for (let n = 1; n <= attempts; n++) {
    o = await attempt(e, item, index, undefined, n);
    if (o.ok || codeOf(o.error) !== "WEIR_WORKER_CRASHED") return o;
  }
  return o;
}

/** Whether `p` settles within `s` seconds: "done", or "stuck" (so a hang fails the test, not the run). */
async function withinSeconds(p: Promise<unknown>, s: number): Promise<"done" | "stuck"> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), s * 1000)));
  try {
    return await Promise.race([p.then(() => "done" as const), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

describe("failures", () => {
  it("a thread that exits mid-batch 100 times: every item settles, the pool returns to its minimum, no handles leak", async () => {
    const handles = (): string[] =>
      process
        .getActiveResourcesInfo()
        .filter((r) => !["Timeout", "Immediate", "FSReqCallback", "FSReqPromise"].includes(r))
        .sort();
    // handles the pool left behind: those now open beyond what was open before it (the loader's
    // own connection attempts may still be pending at the start and gone by the end)
    const leaked = (before: readonly string[]): string[] => {
      const left = [...before];
      return handles().filter((h) => {
        const i = left.indexOf(h);
        if (i === -1) return true;
        left.splice(i, 1);
        return false;
      });
    };
    const before = handles();
    const e = createExecutor(worker(fns, "exitOn", { minWorkers: 1, maxWorkers: 2, idleTimeoutMs: 20 }), "exitOn");
    // 1,000 items; every 10th ends its worker; the others are retried while they only fail from a crash
    const items = Array.from({ length: 1000 }, (_, i) => (i % 10 === 5 ? -1 : i));
    const out = await Promise.all(items.map((x, i) => (x === -1 ? attempt(e, x, i) : withRetry(e, x, i, 200))));
    let crashes = 0;
    out.forEach((o, i) => {
      if (items[i] === -1) {
        assert.equal(o.ok, false);
        const error = (o as { error: unknown }).error;
        assert.ok(error instanceof WorkerCrashedError);
        assert.equal(error.code, "WEIR_WORKER_CRASHED");
        assert.equal(error.exitCode, 1);
        crashes++;
      } else assert.deepEqual(o, { ok: true, value: items[i] });
    });
    assert.equal(crashes, 100);
    await e.pool.atMinimum();
    assert.equal(e.pool.running, 1);
    await e.close();
    assert.equal(e.pool.running, 0);
    assert.deepEqual(leaked(before), []);
  });

  for (const make of [worker, child]) {
    const label = make === worker ? "thread" : "process";
    it(`${label}: workers killed by their first item are replaced: after five in a row the pool is back at minWorkers`, async () => {
      const e = createExecutor(
        make(new URL("../fixtures/workers/crash.mjs", import.meta.url), "crashOn", { minWorkers: 1, maxWorkers: 1 }),
        "poison",
      );
      try {
        // each poison item goes to a fresh worker (the one that replaced the last) and kills it
        // before that worker answered anything
        for (let i = 0; i < 5; i++) {
          const o = await attempt(e, { i, crash: "always" }, i);
          assert.equal(codeOf((o as { error: unknown }).error), "WEIR_WORKER_CRASHED", `item ${i}`);
        }
        assert.equal(await withinSeconds(e.pool.atMinimum(), 20), "done", "the pool went back to one worker");
        assert.equal(e.pool.size, 1);
        const o = await attempt(e, { i: 9 }, 9);
        assert.ok(o.ok, "the replacement worker runs a normal item");
        assert.deepEqual({ ...(o.value as object), pid: 0 }, { i: 9, attempt: 1, pid: 0 });
      } finally {
        await e.close();
      }
    });

    it(`${label}: a module that exits while loading: after three workers in a row died before they were ready, no more are started for minWorkers`, async () => {
      const e = createExecutor(
        make(new URL("../fixtures/workers/exitAtLoad.mjs", import.meta.url), "inc", { minWorkers: 1, maxWorkers: 1 }),
        "broken",
      );
      try {
        // minWorkers starts one at once; it and two replacements die while loading, then none is started
        for (let i = 0; i < 20_000 && e.pool.running > 0; i++) await new Promise((r) => setTimeout(r, 1));
        assert.equal(e.pool.running, 0, "the pool gave up keeping a worker up");
        assert.equal(await withinSeconds(e.pool.atMinimum(), 20), "done", "at its minimum: none");
        // an item still gets a worker of its own, and fails with how it died
        const o = await attempt(e, 1);
        assert.equal(codeOf((o as { error: unknown }).error), "WEIR_WORKER_CRASHED");
        assert.match(String((o as { error: unknown }).error), /exit code 3/);
        assert.equal(await withinSeconds(e.pool.atMinimum(), 20), "done");
        assert.equal(e.pool.running, 0);
      } finally {
        await e.close();
      }
    });
  }

  it("after close(), a process that used both pools exits on its own", async () => {
    const script = `
      import { createExecutor } from ${JSON.stringify(new URL("../../src/executor/pool/stage/createExecutor.ts", import.meta.url).href)};
      import { worker } from ${JSON.stringify(new URL("../../src/executor/pool/stage/worker.ts", import.meta.url).href)};
      import { child } from ${JSON.stringify(new URL("../../src/executor/pool/stage/child.ts", import.meta.url).href)};
      const url = ${JSON.stringify(fns.href)};
      for (const make of [worker, child]) {
        const e = createExecutor(make(url, "exitOn", { minWorkers: 2 }), "s");
        const run = (x) => new Promise((resolve) => e.execute({ item: x, index: 0, attempt: 1, signal: new AbortController().signal }, { resolve, reject: resolve }));
        await Promise.all([run(1), run(-1), run(2)]);
        await e.close();
      }
      console.log("closed");
    `;
    const { code, out } = await runScript(script);
    assert.equal(code, 0);
    assert.match(out, /closed/);
  });

  for (const make of [worker, child]) {
    it(`${make === worker ? "thread" : "process"}: a while(true) item aborted after 500 ms is stopped; later items run`, async () => {
      const e = createExecutor(make(fns, "spin", { maxWorkers: 1, cancelGraceMs: 50 }), "spin");
      const ac = new AbortController();
      const stuck = attempt(e, "spin", 0, ac.signal);
      setTimeout(() => ac.abort(new Error("timed out after 500 ms")), 500); // what the runner does on timeoutMs: 500
      const o = await stuck;
      assert.equal((o as { error: Error }).error.message, "timed out after 500 ms");
      assert.deepEqual(await attemptAll(e, ["a", "b"]), [
        { ok: true, value: "a" },
        { ok: true, value: "b" },
      ]);
      await e.close();
    });
  }

  for (const make of [worker, child]) {
    it(`${make === worker ? "thread" : "process"}: an item cancelled before its worker started it never starts (a function deaf to its signal cannot hold the worker)`, async () => {
      const e = createExecutor(make(fns, "holdOrSpin", { maxWorkers: 1, cancelGraceMs: 50 }), "holdOrSpin");
      assert.deepEqual(await attempt(e, "a"), { ok: true, value: "a" }); // its one worker is up
      const held = attempt(e, "hold", 1); // keeps the worker's one item slot for 300 ms
      await turns(1);
      const ac = new AbortController();
      const stuck = attempt(e, "spin", 2, ac.signal); // a second batch, waiting in the worker
      await turns(1);
      ac.abort(new Error("cancelled while waiting"));
      assert.equal(((await stuck) as { error: Error }).error.message, "cancelled while waiting");
      assert.deepEqual(await held, { ok: true, value: "hold" });
      const after = attemptAll(e, ["b", "c"]);
      assert.equal(await withinSeconds(after, 10), "done", "the worker is not stuck on the cancelled item");
      assert.deepEqual(await after, [
        { ok: true, value: "b" },
        { ok: true, value: "c" },
      ]);
      await e.close();
    });
  }

  it("a thread stuck on an aborted item is terminated; its other items fail with WEIR_WORKER_CRASHED", async () => {
    const e = createExecutor(worker(fns, "spin", { maxWorkers: 1, cancelGraceMs: 10 }), "spin");
    const ac = new AbortController();
    const stuck = attempt(e, "spin", 0, ac.signal);
    const behind = attempt(e, "later", 1); // same batch, same worker
    await new Promise((r) => setImmediate(r)); // the batch has left; the worker spins on it
    ac.abort(new Error("stop"));
    assert.equal(((await stuck) as { error: Error }).error.message, "stop");
    const o = await behind;
    assert.ok((o as { error: unknown }).error instanceof WorkerCrashedError);
    assert.match((o as { error: Error }).error.message, /ignored its cancellation/);
    await e.close();
  });

  it("a child process that spawned a grandchild and is aborted leaves no process behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-gc-"));
    const pidFile = join(dir, "pid");
    const e = createExecutor(child(fns, "grandchild", { maxWorkers: 1, cancelGraceMs: 20 }), "grandchild");
    const written = new Promise<void>((resolve) => {
      const w = watch(dir, () => {
        w.close();
        resolve();
      });
    });
    const ac = new AbortController();
    const pending = attempt(e, pidFile, 0, ac.signal);
    await written;
    let text = "";
    while (text === "") text = await readFile(pidFile, "utf8"); // the write may still be in progress
    const grandchild = Number(text);
    assert.ok(isAlive(grandchild), "the grandchild runs before the abort");
    const group = groupOf(grandchild); // the pool child's group (it leads one of its own)
    assert.notEqual(group, groupOf(process.pid), "the child runs in a process group of its own");
    ac.abort(new Error("timed out"));
    assert.equal(((await pending) as { error: Error }).error.message, "timed out");
    await e.pool.atMinimum(); // the child has exited and its group was killed
    while (isAlive(grandchild)) await new Promise((r) => setImmediate(r));
    // the group was killed as a whole; a member other than the grandchild (a fork of its shell)
    // may still be on its way out when the grandchild is gone: every member is gone within 3 s.
    // Other test files run beside this one and spawn their own `sleep 60`: look at this group only
    assert.ok(
      await eventually(() => groupMembers(group).length === 0),
      `left in group ${group}: ${groupMembers(group).join("; ")}`,
    );
    await e.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("when the parent is killed (SIGKILL, no handlers run), its child processes kill their groups", async () => {
    await orphanDrill("grandchild", [], (grandchild) => {
      // the group's watchdog is a shell waiting on the lifeline, not a thread in the child
      const members = groupMembers(groupOf(grandchild));
      assert.equal(members.filter((m) => m.includes("weir-watchdog")).length, 1, members.join("; "));
    });
  });

  it(`under ${permissionModel} with --allow-worker but not --allow-child-process, a watchdog thread kills the group`, async () => {
    const execArgv = [permissionModel, "--allow-fs-read=*", "--allow-fs-write=*", "--allow-worker"];
    await orphanDrill("pidThenHang", execArgv, (childPid) => {
      const members = groupMembers(childPid);
      assert.deepEqual(
        members.filter((m) => m.includes("weir-watchdog")),
        [],
        "no shell can be started under the model",
      );
    });
  });

  for (const make of [worker, child])
    it(`a heap bomb in a ${make === worker ? "thread" : "process"} fails that item with WEIR_WORKER_OUT_OF_MEMORY; the parent goes on`, async () => {
      const e = createExecutor(
        make(fns, "heapBomb", { maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } }),
        "heapBomb",
      );
      const o = await attempt(e, "bomb");
      assert.equal(o.ok, false);
      const error = (o as { error: unknown }).error;
      assert.ok(error instanceof WorkerOutOfMemoryError);
      assert.equal(error.code, "WEIR_WORKER_OUT_OF_MEMORY");
      assert.deepEqual(await attemptAll(e, [1, 2]), [
        { ok: true, value: 1 },
        { ok: true, value: 2 },
      ]);
      await e.close();
    });
});
