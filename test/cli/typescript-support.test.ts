/**
 * tsx is an optional peer: weir installed without it loads a `.ts` job or stage module through
 * Node's own type stripping where the running Node has it (22.18 and later), and otherwise fails
 * with WEIR_TYPESCRIPT_UNSUPPORTED naming the file, before any item runs.
 *
 * The project under test is a real install without tsx: the built package copied into a fresh
 * directory's node_modules (its only load-time dependency, msgpackr, linked), so nothing resolves
 * tsx from weir's location or from the working directory.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../faults/weirProcess.js";

const strips = typeof (process.features as { typescript?: unknown }).typescript === "string";

describe(`weir without tsx (this Node ${strips ? "strips types" : "does not strip types"})`, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "weir-no-tsx-"));
    const pkg = join(dir, "node_modules", "weir");
    mkdirSync(pkg, { recursive: true });
    for (const part of ["dist", "bin", "package.json"])
      cpSync(join(root, part), join(pkg, part), { recursive: true, dereference: true });
    symlinkSync(join(root, "node_modules", "msgpackr"), join(dir, "node_modules", "msgpackr"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "no-tsx", version: "1.0.0", type: "module" }));
    writeFileSync(
      join(dir, "job.ts"),
      [
        'import { pipeline } from "weir";',
        "const factor: number = 2;",
        'export default pipeline("ts-job").from([1, 2, 3]).map((x: number) => x * factor, { name: "double" }).to(() => {}, { name: "drop" });',
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "triple.ts"), "export const triple = (x: number): number => x * 3;\n");
    writeFileSync(
      join(dir, "pooled.mjs"),
      [
        'import { pipeline, worker } from "weir";',
        "const seen = [];",
        'export default pipeline("pooled").from([1, 2, 3]).map(worker(new URL("./triple.ts", import.meta.url), "triple")).to((x) => void seen.push(x), { name: "keep" });',
        "",
      ].join("\n"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const weir = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, "node_modules", "weir", "bin", "weir.js"), ...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it("a .ts job", () => {
    const r = weir("run", "job.ts");
    if (strips) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /double\s+inline\s+in\s+3\s+out\s+3/);
    } else {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /WEIR_TYPESCRIPT_UNSUPPORTED: job\.ts is TypeScript/);
      assert.match(r.stderr, /npm install --save-dev tsx/);
    }
  });

  it("a worker stage whose module is .ts", () => {
    const r = weir("run", "pooled.mjs");
    if (strips) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /keep\s+inline\s+in\s+3\s+out\s+3/);
    } else {
      assert.equal(r.code, 1);
      // worker() throws it while the job's module loads: the CLI reports the load failure with it
      assert.match(
        r.stderr,
        /WEIR_LOAD_FAILED: pooled\.mjs: could not load the module: file:\/\/.*triple\.ts is TypeScript/,
      );
    }
  });
});
