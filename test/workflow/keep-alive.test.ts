import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { workflow } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { keepAliveHolders } from "../../src/time/keepAlive.js";
import { deferred, turns } from "../helpers.js";

const script = fileURLToPath(new URL("./fixtures/retry-backoff.ts", import.meta.url));

describe("a workflow run holds the process alive until it settles", () => {
  it("a script awaiting a run that waits only on a retry backoff finishes it and exits 0", async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(process.execPath, ["--import", "tsx", script], { timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }),
        );
      },
    );
    assert.equal(code, 0, `exit code ${String(code)}; stderr: ${stderr}`);
    assert.equal(stdout.trim(), "completed: ok after retry (attempts 2)");
  });

  it("holds from the start until it settles, on every path: completed, failed, cancelled, refused", async () => {
    const base = keepAliveHolders();
    const gate = deferred();
    const ok = workflow("w")
      .task("a", () => gate.promise)
      .run();
    assert.equal(keepAliveHolders(), base + 1, "held from wf.run()");
    const clock = new ManualClock();
    const failing = workflow("f")
      .task("bad", { retry: { attempts: 2, baseMs: 100, jitter: 0 }, onFailure: "fail-workflow" }, () => {
        throw new Error("x");
      })
      .task("other", () => new Promise(() => {}))
      .run({ clock });
    const ac = new AbortController();
    const cancelled = workflow("c")
      .task("forever", () => new Promise(() => {}))
      .run({ signal: ac.signal });
    const preCancelled = workflow("p")
      .task("never", () => 1)
      .run({ signal: AbortSignal.abort() });
    assert.equal(keepAliveHolders(), base + 4);
    await turns(2);
    assert.equal(keepAliveHolders(), base + 3, "the pre-cancelled run let go when it settled");
    assert.equal((await preCancelled).state, "cancelled");
    gate.resolve();
    assert.equal((await ok).state, "completed");
    assert.equal(keepAliveHolders(), base + 2);
    await clock.advance(100);
    assert.equal((await failing).state, "failed");
    assert.equal(keepAliveHolders(), base + 1);
    ac.abort();
    assert.equal((await cancelled).state, "cancelled");
    assert.equal(keepAliveHolders(), base);
    assert.throws(() =>
      workflow("x")
        .task("a", () => 1)
        .run({ concurrency: 0 }),
    );
    assert.equal(keepAliveHolders(), base, "a run refused at construction holds nothing");
  });
});
