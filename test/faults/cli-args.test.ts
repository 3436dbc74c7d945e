import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, weir } from "./weirProcess.js";

const ok = "test/fixtures/cli/ok.ts";

/** Asserts a usage error: exit 2, the coded message on stderr, the usage after it, nothing on stdout. */
function usageError(args: string[], message: RegExp, usage = /usage:/): void {
  const r = weir(args);
  assert.equal(r.code, 2, `weir ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, /^weir: WEIR_USAGE: /);
  assert.match(r.stderr, message);
  assert.match(r.stderr, usage);
  assert.equal(r.stdout, "", "nothing runs, nothing on stdout");
}

describe("weir's command line is parsed strictly", () => {
  it("an unknown flag is refused (exit 2) and the module is not run", () => {
    usageError(["run", ok, "--bogus"], /run: unknown option --bogus\n/, /usage: weir run \[options\] <file>/);
    usageError(["run", "-x", ok], /unknown option -x/);
    usageError(["plan", ok, "--no-progress"], /plan: unknown option --no-progress/, /usage: weir plan/);
  });

  it("a misspelt flag gets a did-you-mean", () => {
    usageError(["run", ok, "--jsn"], /unknown option --jsn \(did you mean --json\?\)/);
    usageError(["run", ok, "--grace", "5"], /unknown option --grace \(did you mean --grace-ms\?\)/);
  });

  it("options go before or after the file: run --json <file> runs the file", () => {
    const r = weir(["run", "--json", ok]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { pipeline: string; stats: Record<string, { out: number }> };
    assert.equal(result.pipeline, "cli-ok");
    assert.equal(result.stats.drop!.out, 4);
    const plan = weir(["plan", "--json", ok]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal((JSON.parse(plan.stdout) as { steps: unknown[] }).steps.length, 1);
  });

  it("wrong values and wrong arity: exit 2 with what was wrong", () => {
    usageError(
      ["run", "--grace-ms", "soon", ok],
      /option --grace-ms: expected a non-negative integer \(ms\), received "soon"/,
    );
    usageError(["run", "--grace-ms=-1", ok], /--grace-ms: expected a non-negative integer/);
    usageError(["run", ok, "--grace-ms"], /option --grace-ms needs a value/);
    usageError(["run", "--json=yes", ok], /option --json takes no value, received "yes"/);
    usageError(["run"], /run: no file given/);
    usageError(["run", ok, ok], /run: one file expected, received 2/);
    usageError(["launch", "x"], /unknown command "launch"/);
    usageError(["rnu", ok], /unknown command "rnu" \(did you mean "run"\?\)/);
    usageError([], /no command given/);
    usageError(["--bogus"], /unknown option --bogus/);
  });

  it("--help for weir and per command, --version: on stdout, exit 0", () => {
    const top = weir(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /weir run \[options\] <file>/);
    assert.match(top.stdout, /exit codes:/);
    for (const args of [
      ["run", "--help"],
      ["run", "-h"],
      ["help", "run"],
      ["run", ok, "--help"],
    ]) {
      const r = weir(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.stdout, /usage: weir run \[options\] <file>/);
      assert.match(r.stdout, /--grace-ms <n>.*\n.*default 25000/);
      assert.equal(r.stderr, "");
    }
    assert.match(weir(["plan", "--help"]).stdout, /usage: weir plan \[options\] <file>/);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) assert.equal(weir([flag]).stdout, `${pkg.version}\n`);
  });
});

describe("weir loads modules and reports load failures with a code", () => {
  let dir = "";
  before(() => {
    // a project of its own, not "type": "module", with weir installed (a link to this package)
    dir = mkdtempSync(join(tmpdir(), "weir-cli-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "plain-project", version: "1.0.0" }));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(root, join(dir, "node_modules", "weir"), "dir");
    writeFileSync(join(dir, "helper.ts"), "export const double = (x: number): number => x * 2;\n");
    writeFileSync(
      join(dir, "job.ts"),
      [
        'import { pipeline } from "weir";',
        'import { double } from "./helper.ts";',
        'const label: string = "plain-ts";',
        'export default pipeline(label).from([1, 2, 3]).map(double, { name: "double" }).to(() => {}, { name: "drop" });',
        "",
      ].join("\n"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a .ts file outside a "type": "module" package runs (ES module syntax is loaded as such)', () => {
    const r = weir(["run", "job.ts"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plain-ts: completed/);
    assert.match(r.stdout, /double\s+inline\s+in\s+3\s+out\s+3/);
    const plan = weir(["plan", "job.ts"], dir);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /pipeline "plain-ts"/);
  });

  it("a default-export factory that throws (or rejects): WEIR_LOAD_FAILED naming the file, no raw stack", () => {
    for (const [file, message] of [
      ["test/fixtures/faults/factory-throws.mjs", "factory broke: missing API_URL"],
      ["test/fixtures/faults/factory-rejects.mjs", "async factory broke"],
    ] as const) {
      const r = weir(["run", file]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `weir: WEIR_LOAD_FAILED: ${file}: its default export (a factory) threw: ${message}\n`);
      assert.equal(r.stdout, "");
    }
    const json = weir(["run", "--json", "test/fixtures/faults/factory-throws.mjs"]);
    assert.equal(json.code, 1);
    const out = JSON.parse(json.stdout) as { error: { code: string; file: string } };
    assert.equal(out.error.code, "WEIR_LOAD_FAILED");
    assert.equal(out.error.file, "test/fixtures/faults/factory-throws.mjs");
  });

  it("--json keeps stdout for the JSON: the module's own console.log goes to stderr", () => {
    const r = weir(["run", "--json", "test/fixtures/faults/noisy.mjs"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { stats: Record<string, { out: number }> };
    assert.equal(result.stats.drop!.out, 3);
    assert.doesNotMatch(r.stdout, /says|loading/);
    assert.match(r.stderr, /module loading/);
    assert.match(r.stderr, /main says 1\nmain says 2\nmain says 3/);
    // without --json the module's output stays on stdout, as the user wrote it
    const plain = weir(["run", "--no-progress", "test/fixtures/faults/noisy.mjs"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /module loading[\s\S]*cli-noisy: completed/);
  });
});
