import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { formatPlan, pipeline } from "../../src/index.js";
import { fusedWorkload } from "../fixtures/pipeline/fusedWorkload.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const NO_EVAL = "--disallow-code-generation-from-strings";

/** Runs `args` in a child Node that forbids code generation from strings (as a hardened host does). */
function noEval(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  // a test file run in the child reports as a file of its own (TAP), not to this test runner
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [NO_EVAL, "--import", "tsx", ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 150_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("fused steps where code generation from strings is forbidden", () => {
  it("the child really forbids it (new Function throws an EvalError there)", () => {
    const r = noEval([
      "-e",
      'try { new Function("return 1"); console.log("allowed") } catch (e) { console.log(e.name) }',
    ]);
    assert.equal(r.stdout.trim(), "EvalError", r.stderr);
  });

  it("here the plan says the fused loop is generated; a step with nothing inline says null", () => {
    const p = pipeline<number>("p")
      .from([1, 2])
      .map(async (x) => x, { concurrency: 2 })
      .map((x) => x + 1);
    const plan = p.plan();
    assert.deepEqual(
      plan.steps.map((s) => s.fusedLoop),
      [null, "generated"],
    );
    assert.match(formatPlan(plan), /loop: generated/);
  });

  it("a pipeline with every kind of fused path gives the same results interpreted as generated", async () => {
    const here = await fusedWorkload();
    assert.ok(here.fusedLoop.includes("generated"));
    const r = noEval(["test/fixtures/pipeline/fusedWorkload.ts"]);
    assert.equal(r.code, 0, r.stderr);
    const there = JSON.parse(r.stdout) as typeof here;
    assert.deepEqual(
      there.fusedLoop,
      here.fusedLoop.map((l) => (l === null ? null : "interpreted")),
    );
    assert.match(there.formatted, /loop: interpreted \(a plain loop over the inline stages: this host forbids/);
    assert.equal(there.count, here.count);
    assert.ok(here.count > 3000, "the 3,000-item expansion went through");
    assert.equal(there.sum, here.sum);
    assert.deepEqual(there.firstTen, here.firstTen);
    assert.deepEqual(there.deadLetters, here.deadLetters);
    assert.deepEqual(here.deadLetters, [2], "item 2 (22) failed in a fused stage and was dead-lettered");
    assert.deepEqual(there.stages, here.stages);
  });

  it("the fused-step test files pass in a child that forbids code generation", () => {
    for (const file of ["test/pipeline/fused.test.ts", "test/faults/flatmap-lazy.test.ts"]) {
      const r = noEval(["--test-reporter=tap", file]);
      assert.equal(r.code, 0, `${file}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
      assert.match(r.stdout, /# fail 0/);
      assert.doesNotMatch(r.stdout, /# pass 0\b/);
    }
  });
});
