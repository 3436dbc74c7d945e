import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Row {
  path: string;
  title: string;
  headings: number;
  links: number;
  sha256: string;
  chars: number;
  gzipped: number;
}

describe("the README's main job: weir run examples/markdown-digest.ts", () => {
  it("digests every Markdown file under a directory into JSON lines, exit 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "weir-digest-"));
    try {
      const docs = join(dir, "docs");
      mkdirSync(join(docs, "b", "nested"), { recursive: true });
      writeFileSync(
        join(docs, "a.md"),
        "# Alpha\n\nSome [linked](http://example.com) text and `code`.\n\n## Section\n\n```js\nconst x = 1;\n```\n",
      );
      writeFileSync(join(docs, "b", "nested", "notes.markdown"), "no title here, just *emphasis*\n");
      writeFileSync(join(docs, "b", "empty.md"), ""); // filtered out: nothing to digest
      writeFileSync(join(docs, "b", "skip.txt"), "# not markdown\n");
      for (let i = 0; i < 60; i++)
        writeFileSync(join(docs, "b", `bulk-${i}.md`), `# Bulk ${i}\n\n${"word ".repeat(50 + i)}\n`); // more than one batch of 50
      const out = join(dir, "out", "digest.jsonl");

      const r = spawnSync(
        process.execPath,
        [join(root, "bin/weir.js"), "run", "examples/markdown-digest.ts", "--no-progress"],
        {
          cwd: root,
          encoding: "utf8",
          timeout: 60_000,
          env: { ...process.env, WEIR_DIGEST_DIR: docs, WEIR_DIGEST_OUT: out },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /markdown-digest: completed in [\d.]+s, 63 source items/);
      assert.match(r.stdout, /non-empty\s+inline\s+in\s+63\s+out\s+62/);

      const rows = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Row);
      assert.equal(rows.length, 62);
      const byPath = new Map(rows.map((row) => [row.path, row]));
      const alpha = byPath.get(join(docs, "a.md"))!;
      assert.deepEqual([alpha.title, alpha.headings, alpha.links], ["Alpha", 2, 1]);
      const notes = byPath.get(join(docs, "b", "nested", "notes.markdown"))!;
      assert.equal(notes.title, "nested/notes.markdown", "no heading: titled by its path");
      assert.equal(byPath.has(join(docs, "b", "empty.md")), false);
      assert.equal(
        [...byPath.keys()].some((p) => p.endsWith(".txt")),
        false,
      );
      for (const row of rows) {
        assert.match(row.sha256, /^[0-9a-f]{64}$/);
        assert.ok(row.chars > 0 && row.gzipped > 0, row.path);
      }
      assert.notEqual(alpha.sha256, notes.sha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
