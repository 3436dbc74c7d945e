/**
 * `weir run --durable` and `weir resume` as a user runs them: a real process, a real SIGINT, the
 * resume command the CLI prints run as printed; bad store files refused with coded errors.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, root, startWeir, weir } from "../faults/weirProcess.js";

const dir = mkdtempSync(join(tmpdir(), "weir-cli-durable-"));
chmodSync(dir, 0o777);
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = "test/fixtures/cli/durable.ts";
const HANG_GUARD_MS = 60_000;

/** Runs the test with WEIR_DB and the fixture's output file set in the environment the CLI inherits. */
function withEnv(env: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

describe("weir run --durable, weir resume", () => {
  it("prints the resume command on SIGINT; that command finishes the run without redoing done work", async () => {
    const db = join(dir, "run.db");
    const out = join(dir, "keys.txt");
    writeFileSync(out, "");
    const restore = withEnv({ WEIR_DB: db, WEIR_TEST_OUT: out, WEIR_TEST_N: "3000" });
    try {
      const p = startWeir(["run", "--durable", "--no-progress", fixture]);
      await p.stderrHas("STARTED");
      await new Promise((r) => setTimeout(r, 200));
      p.kill("SIGINT");
      const { code } = await p.exit(HANG_GUARD_MS);
      assert.equal(code, 0, p.stderr());
      const printed = /resume the run with: WEIR_DB=(\S+) weir resume (\S+) (\S+)/.exec(p.stderr());
      assert.ok(printed !== null, p.stderr());
      assert.equal(printed[1], db);
      assert.equal(printed[3], fixture);
      const runId = printed[2]!;
      assert.match(p.stderr(), new RegExp(`durable run ${runId} in ${db}`));
      const first = readFileSync(out, "utf8").trim().split("\n");
      assert.ok(first.length > 0 && first.length < 3000, `first run wrote ${first.length}`);

      const resumed = weir(["resume", "--no-progress", runId, fixture]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /\(resumed\)/);
      assert.doesNotMatch(resumed.stderr, /resume the run with/); // it completed
      const keys = readFileSync(out, "utf8").trim().split("\n");
      // a stop that drained checkpoints everything it sank: nothing runs twice, nothing is missing
      assert.equal(keys.length, 3000, "no duplicates");
      assert.deepEqual(new Set(keys), new Set(Array.from({ length: 3000 }, (_, i) => `${runId}/${i}`)));

      const again = weir(["resume", "--no-progress", runId, fixture]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 3000, "a completed run does nothing");
    } finally {
      restore();
    }
  });

  it("a second process resuming a run that a live process holds is refused with WEIR_RUN_OWNED", async () => {
    const db = join(dir, "owned.db");
    const restore = withEnv({ WEIR_DB: db, WEIR_TEST_OUT: join(dir, "owned.txt"), WEIR_TEST_N: "100000" });
    try {
      const p = startWeir(["run", "--durable", "--no-progress", fixture]);
      await p.stderrHas("STARTED");
      const runId = /durable run (\S+) in/.exec(p.stderr())![1]!;
      const second = weir(["resume", "--no-progress", runId, fixture]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /WEIR_RUN_OWNED/);
      p.kill("SIGKILL"); // a killed owner's run is claimable at once (its pid is gone)
      await p.exit(HANG_GUARD_MS);
      const third = startWeir(["resume", "--no-progress", runId, fixture]);
      await third.stderrHas("STARTED");
      assert.match(third.stderr(), /\(resumed\)/);
      third.kill("SIGTERM");
      const { code } = await third.exit(HANG_GUARD_MS);
      assert.equal(code, 0, third.stderr());
      assert.match(third.stderr(), new RegExp(`resume the run with: WEIR_DB=\\S+ weir resume ${runId} `));
    } finally {
      restore();
    }
  });

  it("resume refuses an unknown run id and a missing argument", () => {
    const restore = withEnv({ WEIR_DB: join(dir, "empty.db") });
    try {
      const unknown = weir(["resume", "no-such-run", fixture]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /WEIR_RUN_NOT_FOUND/);
      const missing = weir(["resume", fixture]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /a run id and a file expected/);
    } finally {
      restore();
    }
  });

  it("a corrupt or truncated store file is refused with WEIR_STORE_CORRUPT and left as it was", () => {
    const good = join(dir, "good.db");
    const out = join(dir, "good.txt");
    const restore = withEnv({ WEIR_DB: good, WEIR_TEST_OUT: out, WEIR_TEST_N: "50" });
    try {
      assert.equal(weir(["run", "--durable", "--no-progress", fixture]).code, 0);
    } finally {
      restore();
    }
    const bytes = readFileSync(good);
    const cases: Array<[string, Buffer]> = [
      ["garbage.db", Buffer.from("this is not a database, not at all".repeat(200))],
      ["truncated.db", bytes.subarray(0, Math.max(100, Math.floor(bytes.length / 3)))],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const undo = withEnv({ WEIR_DB: path, WEIR_TEST_OUT: out });
      try {
        const r = weir(["run", "--durable", "--no-progress", fixture]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /WEIR_STORE_CORRUPT/, name);
        assert.ok(readFileSync(path).equals(content), `${name} was changed`);
      } finally {
        undo();
      }
    }
  });

  it("a store in a directory the user cannot write is refused with WEIR_STORE_READ_ONLY", (t) => {
    const ro = join(dir, "ro");
    mkdirSync(ro, { mode: 0o755 });
    const env = { ...process.env, WEIR_DB: join(ro, "weir.db"), WEIR_TEST_OUT: "/dev/null", WEIR_TEST_N: "5" };
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(ro, 0o555);
    try {
      const r = spawnSync(process.execPath, [bin, "run", "--durable", "--no-progress", fixture], {
        cwd: root,
        env,
        encoding: "utf8",
        timeout: 120_000,
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}), // root writes anywhere: run as nobody
      });
      if (asRoot && /EACCES/.test(r.stderr) && !/WEIR_STORE_READ_ONLY/.test(r.stderr)) {
        t.skip(`nobody cannot run the CLI from this checkout: ${r.stderr.slice(0, 200)}`);
        return;
      }
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /WEIR_STORE_READ_ONLY/);
    } finally {
      chmodSync(ro, 0o755);
    }
  });
});
