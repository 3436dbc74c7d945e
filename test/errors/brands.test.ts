import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as weir from "../../src/index.js";

type ErrorClass = (abstract new (...args: never[]) => Error) & {
  readonly name: string;
  is(value: unknown): boolean;
};

/** Every error class the public entry exports. */
const classes = Object.entries(weir).filter(
  ([, value]) => typeof value === "function" && (value === weir.WeirError || value.prototype instanceof weir.WeirError),
) as Array<[string, ErrorClass]>;

/** An instance of `C`, built with placeholder arguments (every constructor takes strings or plain values). */
function build(C: ErrorClass): Error {
  const ctor = C as unknown as new (...args: unknown[]) => Error;
  const args: Record<string, unknown[]> = {
    WeirError: ["WEIR_USAGE", "base"],
    CycleError: [["a", "b", "a"]],
    NotSelfContainedError: ["worker()", "fn", ["outer"]],
    PlanChangedError: ["run-1", "pipeline", ['"a" changed']],
  };
  return new ctor(...(args[C.name] ?? ["stage", 1, "item", new Error("cause"), 2, "x"]));
}

/** A second copy of src/errors, as a second install of the package would bring. */
const copyDir = mkdtempSync(join(tmpdir(), "weir-errors-copy-"));
cpSync(new URL("../../src/errors", import.meta.url), copyDir, { recursive: true });
after(() => rmSync(copyDir, { recursive: true, force: true }));

/** The copy's module as this file runs: the `.ts` source under tsx, its compiled `.js` in the test tree. */
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

async function fromCopy(name: string): Promise<ErrorClass> {
  const mod = (await import(pathToFileURL(join(copyDir, `${name}${extension}`)).href)) as Record<string, ErrorClass>;
  return mod[name]!;
}

describe("error classes: explicit names and brands that survive two copies of the package", () => {
  it("the public entry exports the error classes", () => {
    assert.ok(classes.length >= 25, `found ${classes.length}`);
  });

  it("every WeirError subclass in src declares its name explicitly (minified code keeps it)", () => {
    const missing: string[] = [];
    const walk = (dir: URL): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(new URL(`${entry.name}/`, dir));
        else if (entry.name.endsWith(".ts")) {
          const text = readFileSync(new URL(entry.name, dir), "utf8");
          for (const m of text.matchAll(/class (\w+) extends WeirError \{/g)) {
            if (!text.includes(`static override readonly name: string = "${m[1]}";`)) missing.push(m[1]!);
          }
        }
      }
    };
    walk(new URL("../../src/", import.meta.url));
    assert.deepEqual(missing, []);
  });

  for (const [exported, C] of classes) {
    it(`${exported}: static and instance name, ${exported}.is across copies, and no other class's is`, async () => {
      assert.equal(C.name, exported);
      const mine = build(C);
      assert.equal(mine.name, exported);
      assert.equal(JSON.parse(JSON.stringify(mine)).name, exported);
      const Copy = await fromCopy(exported === "WeirError" ? "WeirError" : exported);
      assert.notEqual(Copy, C, "a second copy of the class");
      const theirs = build(Copy);
      assert.ok(!(theirs instanceof C), "instanceof fails across copies");
      assert.ok(C.is(mine) && C.is(theirs) && Copy.is(mine) && Copy.is(theirs));
      assert.ok(weir.WeirError.is(theirs), "the base class recognises the copy's errors");
      for (const [other, D] of classes) {
        if (other === exported || other === "WeirError") continue;
        assert.equal(D.is(mine), false, `${other}.is(a ${exported})`);
        assert.equal(D.is(theirs), false, `${other}.is(a copy's ${exported})`);
      }
    });
  }

  it("is() refuses plain errors and non-objects, and a subclass is its parents' too", async () => {
    for (const v of [new Error("plain"), null, undefined, "StageError", { name: "StageError" }]) {
      assert.equal(weir.StageError.is(v), false);
      assert.equal(weir.WeirError.is(v), false);
    }
    class RetryableError extends weir.StageError {
      static override readonly name: string = "RetryableError";
    }
    const e = new RetryableError("s", 0, "x", new Error("c"));
    assert.equal(e.name, "RetryableError");
    assert.ok(RetryableError.is(e) && weir.StageError.is(e) && weir.WeirError.is(e));
    assert.equal(RetryableError.is(new weir.StageError("s", 0, "x", new Error("c"))), false);
    const CopyStage = await fromCopy("StageError");
    assert.ok(CopyStage.is(e), "a copy's StageError.is recognises a subclass of this copy's StageError");
  });

  it("narrows the type: StageError.is(e) gives e.stage", () => {
    const e: unknown = new weir.StageError("parse", 4, "x", new Error("c"));
    if (!weir.StageError.is(e)) assert.fail("not a StageError");
    assert.equal(e.stage, "parse");
    assert.equal(e.index, 4);
  });
});
