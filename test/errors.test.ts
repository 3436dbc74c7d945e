import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { InvalidOptionError, StageError, WeirError } from "../src/index.js";

describe("errors", () => {
  it("every code in the WeirErrorCode union is documented in docs/errors.md", () => {
    const source = readFileSync(new URL("../src/errors/WeirError.ts", import.meta.url), "utf8");
    const union = source.slice(
      source.indexOf("export type WeirErrorCode"),
      source.indexOf(";", source.indexOf("export type WeirErrorCode")),
    );
    const codes = [...union.matchAll(/"(WEIR_[A-Z_]+)"/g)].map((m) => m[1]!);
    assert.ok(codes.length >= 10);
    const docs = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
    for (const code of codes) assert.ok(docs.includes(`\`${code}\``), `${code} is not in docs/errors.md`);
  });

  it("WeirError.is recognises errors by brand, not by prototype", () => {
    const e = new StageError("s", 3, "x", new Error("c"));
    assert.ok(WeirError.is(e));
    assert.ok(!WeirError.is(new Error("plain")));
    const foreign = Object.assign(new Error("other copy"), {});
    Object.defineProperty(foreign, Symbol.for("weir.error"), { value: true });
    assert.ok(WeirError.is(foreign));
    assert.equal(e.name, "StageError");
  });

  it("InvalidOptionError renders what was received", () => {
    const e = new InvalidOptionError("retry.attempts", "a positive integer", "three", 'stage "fetch"');
    assert.equal(e.message, 'stage "fetch": option retry.attempts: expected a positive integer, received "three"');
    assert.equal(new InvalidOptionError("x", "y", [1, 2]).received, "an array of 2");
    assert.equal(new InvalidOptionError("x", "y", new Map()).received, "a Map");
  });
});
