/**
 * The test tree (scripts/test-tree.mjs), which the suite itself runs from: a copy of a project with
 * every `.ts` module compiled beside it as tsx compiles it, the rest copied or linked, one tree per
 * run. Built here from a small project of its own in a temporary directory.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface TestTree {
  readonly dir: string;
  readonly modules: number;
  remove(): void;
}
const script = new URL("../../scripts/test-tree.mjs", import.meta.url).href;
const { buildTestTree, treesDir } = (await import(script)) as {
  buildTestTree(root?: string): TestTree;
  treesDir: string;
};

/** A project: a module with a typed function, a fixture that is not TypeScript, a link target. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), "weir-test-tree-"));
  mkdirSync(join(root, "src"));
  mkdirSync(join(root, "test", "fixtures"), { recursive: true });
  mkdirSync(join(root, "dist"));
  mkdirSync(join(root, ".git"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "p", type: "module" }));
  writeFileSync(join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", strict: true } }));
  writeFileSync(
    join(root, "src", "double.ts"),
    [
      "export enum Unit { One = 1 }",
      "export const double = (x: number): number => {",
      "  // twice",
      "  const factor: number = 2 * Unit.One;",
      "  return x * factor;",
      "};",
      "",
    ].join("\n"),
  );
  writeFileSync(join(root, "src", "types.d.ts"), "export type T = number;\n");
  writeFileSync(join(root, "test", "fixtures", "plain.mjs"), "export const plain = 1;\n");
  writeFileSync(join(root, "dist", "index.js"), "export const built = true;\n");
  return root;
}

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const fresh = (): string => {
  const root = project();
  roots.push(root);
  return root;
};

describe("the test tree", () => {
  it("compiles each .ts module beside its copy, copies the other files, links the rest of the top", async () => {
    const root = fresh();
    const tree = buildTestTree(root);
    assert.equal(tree.dir, join(root, treesDir, String(process.pid)));
    assert.equal(tree.modules, 1, "double.ts; a .d.ts is no module");
    assert.ok(existsSync(join(tree.dir, "src", "double.ts")), "the source is copied too");
    assert.ok(!existsSync(join(tree.dir, "src", "types.js")));
    const { double } = (await import(pathToFileURL(join(tree.dir, "src", "double.js")).href)) as {
      double(x: number): number;
    };
    assert.equal(double(21), 42);
    assert.equal(readFileSync(join(tree.dir, "test", "fixtures", "plain.mjs"), "utf8"), "export const plain = 1;\n");
    assert.ok(lstatSync(join(tree.dir, "dist")).isSymbolicLink());
    assert.equal(realpathSync(join(tree.dir, "dist", "index.js")), realpathSync(join(root, "dist", "index.js")));
    assert.ok(lstatSync(join(tree.dir, "package.json")).isSymbolicLink());
    assert.ok(!existsSync(join(tree.dir, ".git")), "git's own folder is not linked");
    assert.ok(!existsSync(join(tree.dir, treesDir)), "nor the trees");
    tree.remove();
    assert.ok(!existsSync(tree.dir));
  });

  it("gives a function the source text tsx gives it (a plan's fingerprint reads it)", () => {
    const root = fresh();
    const tree = buildTestTree(root);
    // each side in a process of its own: a module this file imported under tsx would be tsx's
    // compile of the tree's .js file, whatever the tree holds
    const sourceText = (file: string, flags: string[]): string => {
      const url = JSON.stringify(pathToFileURL(file).href);
      const r = spawnSync(
        process.execPath,
        [...flags, "--input-type=module", "-e", `process.stdout.write((await import(${url})).double.toString());`],
        { encoding: "utf8", cwd: root },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const compiled = sourceText(join(tree.dir, "src", "double.js"), []);
    // the project's own tsx: the temporary project has none
    const underTsx = sourceText(join(root, "src", "double.ts"), ["--import", import.meta.resolve("tsx")]);
    assert.equal(compiled, underTsx);
    assert.match(compiled, /factor/, "the function, not a stand-in");
    tree.remove();
  });

  it("refuses a project whose .js file stands where a module compiles to", () => {
    const root = fresh();
    writeFileSync(join(root, "src", "double.js"), "export const double = 0;\n");
    assert.throws(() => buildTestTree(root), {
      message: `${join("src", "double.ts")} compiles to ${join("src", "double.js")}, which the project has already`,
    });
  });

  it("removes the trees of runs that ended, not of one that runs", async () => {
    const root = fresh();
    const ended = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => ended.once("exit", resolve));
    const running = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
    try {
      for (const pid of [ended.pid, running.pid]) mkdirSync(join(root, treesDir, String(pid)), { recursive: true });
      mkdirSync(join(root, treesDir, "not-a-pid"));
      // an ended run that had this process's pid (pids are given again)
      mkdirSync(join(root, treesDir, String(process.pid), "stale"), { recursive: true });
      const tree = buildTestTree(root);
      assert.ok(!existsSync(join(tree.dir, "stale")), "this run's tree is its own, built anew");
      assert.ok(!existsSync(join(root, treesDir, String(ended.pid))), "an ended run's tree is removed");
      assert.ok(!existsSync(join(root, treesDir, "not-a-pid")));
      assert.ok(existsSync(join(root, treesDir, String(running.pid))), "a running one's stays");
      tree.remove();
    } finally {
      running.kill();
    }
  });
});
