import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("memory stays flat as the input grows", () => {
  it("a slow sink fed by a generator retains nothing per item pulled (heap after GC, 50,000 vs 450,000 items)", () => {
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", "test/fixtures/pipeline/slow-sink-heap.ts"],
      { cwd: root, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    const [early, late] = JSON.parse(r.stdout) as [number, number];
    // a reaction left per chunk (the leak this guards) grows the heap by tens of MB over 400,000 items
    assert.ok(
      late - early < 2_000_000,
      `heap grew by ${((late - early) / 1e6).toFixed(1)} MB from 50,000 to 450,000 items`,
    );
  });
});
