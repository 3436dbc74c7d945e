/**
 * The core never loads SQLite: nothing `src/index.ts` imports, directly or through other modules,
 * reaches better-sqlite3 or the SQLite store; `weir/sqlite` is the only way in.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every module specifier a file imports or re-exports, statically or with import(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) found.push(match[1]!);
  return found;
}

/** The files reachable from `entry` (relative imports, `.js` mapped to `.ts`) and the packages they import. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith(".")) pending.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe("weir/sqlite is a subpath of its own", () => {
  it("the core's import graph never reaches better-sqlite3 or the SQLite store", () => {
    const core = graph(resolve(src, "index.ts"));
    assert.ok(core.files.size > 50, `walked ${core.files.size} files`);
    assert.ok(core.files.has(resolve(src, "store/memoryStore.ts")), "the memory store is core");
    assert.equal(core.packages.has("better-sqlite3"), false);
    assert.deepEqual(
      [...core.files].filter((f) => f.includes("/store/sqlite/")),
      [],
    );
  });

  it("weir/sqlite reaches it", () => {
    const sqlite = graph(resolve(src, "sqlite.ts"));
    assert.ok(sqlite.packages.has("better-sqlite3"));
  });
});
