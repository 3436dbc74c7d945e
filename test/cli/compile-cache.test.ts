/**
 * The `weir` command keeps V8's compiled code of what it loads on disk where Node can (22.1 and
 * later: `module.enableCompileCache`), in `node-compile-cache` under the temporary directory, and
 * not at all under NODE_DISABLE_COMPILE_CACHE=1. On Node 20 there is no such cache: the command
 * works the same. (NODE_COMPILE_CACHE is not set here: it would turn the cache on by itself.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin/weir.js");
const hasCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === "function";

/** Every file under `dir`, recursively (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

function plan(env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, "plan", "test/fixtures/cli/ok.ts"], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("weir's compile cache", () => {
  it("writes compiled code under the temporary directory where Node has the cache, and runs the same either way", () => {
    const tmp = mkdtempSync(join(tmpdir(), "weir-compile-cache-"));
    const dir = join(tmp, "node-compile-cache");
    try {
      const { NODE_DISABLE_COMPILE_CACHE: _off, NODE_COMPILE_CACHE: _dir, ...rest } = process.env;
      const env = { ...rest, TMPDIR: tmp };
      const first = plan(env);
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, /pipeline "cli-ok": 1 step/);
      if (hasCache) assert.ok(filesUnder(dir).length > 0, "the cache directory holds compiled code");
      else assert.deepEqual(filesUnder(dir), [], "Node 20 has no compile cache: nothing is written");
      // a second run reads what the first wrote
      const second = plan(env);
      assert.equal(second.code, 0, second.out);
      assert.equal(second.out, first.out);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("writes nothing under NODE_DISABLE_COMPILE_CACHE=1", () => {
    const tmp = mkdtempSync(join(tmpdir(), "weir-compile-cache-"));
    try {
      const { NODE_COMPILE_CACHE: _dir, ...rest } = process.env;
      const r = plan({ ...rest, TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: "1" });
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(filesUnder(join(tmp, "node-compile-cache")), []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
