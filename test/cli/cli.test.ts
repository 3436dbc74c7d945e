import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = `${root}bin/weir.js`;

function weir(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("weir CLI", () => {
  it("run: runs the default export and prints a summary, exit 0", () => {
    const r = weir("run", "test/fixtures/cli/ok.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli-ok: completed/);
    assert.match(r.stdout, /double\s+inline\s+in\s+4\s+out\s+4/);
  });

  it("run --json prints the result as JSON", () => {
    const r = weir("run", "test/fixtures/cli/ok.ts", "--json");
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { stats: Record<string, { out: number }> };
    assert.equal(result.stats.drop!.out, 4);
  });

  it("run: a failing pipeline exits non-zero with the coded error naming stage and item", () => {
    const r = weir("run", "test/fixtures/cli/fail.ts");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WEIR_STAGE_FAILED: stage "parse" failed on item 1: cannot parse b/);
  });

  it("plan: prints the plan readably, or as JSON", () => {
    const r = weir("plan", "test/fixtures/cli/ok.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pipeline "cli-ok": 1 step/);
    assert.match(r.stdout, /\+ map\s+double\s+fused after "source"/);
    const json = JSON.parse(weir("plan", "test/fixtures/cli/ok.ts", "--json").stdout) as { steps: unknown[] };
    assert.equal(json.steps.length, 1);
  });

  it("explains a module without a runnable default export, and a missing file", () => {
    const r = weir("run", "test/fixtures/cli/nothing.mjs");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WEIR_LOAD_FAILED: .*must export default a pipeline/);
    const missing = weir("run", "test/fixtures/cli/nope.ts");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file/);
  });

  it("runs a workflow: summary per task, exit 0; a failed workflow exits 1 with the task's error", () => {
    const r = weir("run", "test/fixtures/cli/workflow.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli-wf: completed in [\d.]+s \(3 completed\)/);
    assert.match(r.stdout, /sum\s+completed/);
    const f = weir("run", "test/fixtures/cli/workflow-fail.ts");
    assert.equal(f.code, 1);
    assert.match(f.stdout, /b\s+skipped/);
    assert.match(f.stderr, /WEIR_TASK_FAILED: .*extract broke/);
    const plan = JSON.parse(weir("plan", "test/fixtures/cli/workflow.ts").stdout) as { tasks: unknown[] };
    assert.equal(plan.tasks.length, 3);
  });

  it("unknown command prints usage, exit 2", () => {
    const r = weir("launch", "x");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage:/);
  });

  it("Ctrl-C stops a run whose source waits for input that never comes (exit 0, stopped)", async () => {
    const child = spawn(process.execPath, [bin, "run", "test/fixtures/cli/idle.mjs"], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("IDLE")) resolve();
      });
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /cli-idle: stopped in [\d.]+s, 3 source items/);
  });

  it("Ctrl-C stops gracefully (exit 0, stopped); a second Ctrl-C aborts (exit 1)", async () => {
    for (const presses of [1, 2]) {
      const env = { ...process.env, WEIR_FIXTURE_STUCK_AFTER_SIGINT: presses === 2 ? "1" : "0" };
      const child = spawn(process.execPath, [bin, "run", "test/fixtures/cli/endless.mjs"], { cwd: root, env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      await new Promise<void>((resolve) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes("RUNNING")) resolve();
        });
      });
      child.kill("SIGINT");
      if (presses === 2) {
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if (stderr.includes("stopping")) resolve();
          };
          child.stderr.on("data", check);
          check();
        });
        child.kill("SIGINT");
      }
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      if (presses === 1) {
        assert.equal(code, 0, stderr);
        assert.match(stdout, /cli-endless: stopped/);
      } else {
        assert.equal(code, 1, stderr);
        assert.match(stderr, /WEIR_CANCELLED/);
      }
    }
  });
});
