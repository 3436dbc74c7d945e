/**
 * prom-client is an optional peer: weir installed without it runs jobs, imports `weir/metrics`,
 * and fails with WEIR_OPTIONAL_DEPENDENCY_MISSING (naming prom-client and the command that
 * installs it) only where metrics are asked for: `weir run --metrics-port` and `metrics()`.
 *
 * The project under test is a real install without prom-client: the built package copied into a
 * fresh directory's node_modules (its only load-time dependency, msgpackr, linked), so nothing
 * resolves prom-client from weir's location.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../faults/weirProcess.js";

describe("weir without prom-client", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "weir-no-prom-"));
    const pkg = join(dir, "node_modules", "weir");
    mkdirSync(pkg, { recursive: true });
    for (const part of ["dist", "bin", "package.json"])
      cpSync(join(root, part), join(pkg, part), { recursive: true, dereference: true });
    symlinkSync(join(root, "node_modules", "msgpackr"), join(dir, "node_modules", "msgpackr"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "no-prom", version: "1.0.0", type: "module" }));
    writeFileSync(
      join(dir, "job.mjs"),
      'import { pipeline } from "weir";\nexport default pipeline("job").from([1, 2, 3]).map((x) => x * 2, { name: "double" }).to(() => {}, { name: "drop" });\n',
    );
    writeFileSync(
      join(dir, "app.mjs"),
      [
        'import { pipeline, OptionalDependencyMissingError } from "weir";',
        'import { metrics } from "weir/metrics";',
        "try {",
        '  await pipeline("p").from([1]).to(() => {}).run({ metrics: metrics() });',
        '  console.log("ran");',
        "} catch (e) {",
        "  console.log(JSON.stringify({ is: OptionalDependencyMissingError.is(e), code: e.code, package: e.package, message: e.message }));",
        "}",
        "",
      ].join("\n"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const node = (...args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const weir = (...args: string[]) => node(join(dir, "node_modules", "weir", "bin", "weir.js"), ...args);

  it("runs a job without --metrics-port", () => {
    const r = weir("run", "job.mjs");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /double\s+inline\s+in\s+3\s+out\s+3/);
  });

  it("weir run --metrics-port fails with a coded error naming prom-client, before the job runs", () => {
    const r = weir("run", "job.mjs", "--metrics-port", "0");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /WEIR_OPTIONAL_DEPENDENCY_MISSING/);
    assert.match(r.stderr, /weir run --metrics-port needs prom-client/);
    assert.match(r.stderr, /npm install prom-client/);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND/);
    assert.doesNotMatch(r.stdout, /double/);
  });

  it("weir/metrics imports; metrics() throws OptionalDependencyMissingError", () => {
    const r = node("app.mjs");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { is: boolean; code: string; package: string; message: string };
    assert.equal(out.is, true);
    assert.equal(out.code, "WEIR_OPTIONAL_DEPENDENCY_MISSING");
    assert.equal(out.package, "prom-client");
    assert.match(out.message, /metrics\(\) needs prom-client.*npm install prom-client/);
  });
});
