import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the workflow example: weir run examples/docs-report.ts", () => {
  it("scans, digests (a pipeline inside a task) and sizes in parallel, then reports; exit 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-report-"));
    try {
      const docs = join(dir, "docs");
      mkdirSync(join(docs, "deep", "er"), { recursive: true });
      writeFileSync(join(docs, "a.md"), "# A\n");
      writeFileSync(join(docs, "deep", "b.md"), "# A\n"); // the same text as a.md: one duplicate
      writeFileSync(join(docs, "deep", "er", "c.markdown"), "# C, longer\n");
      writeFileSync(join(docs, "deep", "skip.txt"), "not markdown\n");
      const out = join(dir, "report.json");

      const r = spawnSync(
        process.execPath,
        [join(root, "bin/weir.js"), "run", "examples/docs-report.ts", "--no-progress"],
        {
          cwd: root,
          encoding: "utf8",
          timeout: 60_000,
          env: { ...process.env, WEIR_DIGEST_DIR: docs, WEIR_REPORT_OUT: out },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /docs-report/);
      const report = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
      assert.deepEqual(report, { root: docs, files: 3, distinct: 2, duplicates: 1, bytes: 4 + 4 + 12 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
