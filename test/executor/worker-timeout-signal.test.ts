import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { child, pipeline, worker } from "../../src/index.js";
import { codeOf } from "./harness.js";

const crash = new URL("../fixtures/workers/crash.mjs", import.meta.url);

const contexts = [
  ["worker", worker],
  ["child", child],
] as const;

for (const [label, make] of contexts) {
  describe(`a pool item timed out on the real clock: ${label}()`, () => {
    it("the stage function's ctx.signal aborts inside the worker with a WEIR_TIMEOUT reason; the item fails with WEIR_TIMEOUT", async () => {
      const dir = await mkdtemp(join(tmpdir(), "weir-timeout-signal-"));
      try {
        const file = join(dir, "seen.json");
        // a long cancel grace: the pool's own watchdog (timeout + grace) cannot end the item first,
        // so only the worker's timeout can settle it
        const stage = make<{ file: string }, never>(crash, "recordSignal", { maxWorkers: 1, cancelGraceMs: 30_000 });
        const out: unknown[] = [];
        const result = await pipeline(`timeout-signal-${label}`)
          .from([{ file }])
          .map(stage, { name: "probe", timeoutMs: 200, onError: "dead-letter" })
          .to((x) => void out.push(x))
          .run();
        assert.deepEqual(out, []);
        assert.equal(result.deadLetters.length, 1);
        const letter = result.deadLetters[0]!;
        assert.equal(letter.index, 0);
        assert.equal(letter.attempts, 1);
        assert.equal(codeOf(letter.error), "WEIR_TIMEOUT");
        // the worker wrote what its function saw before it answered for the item
        assert.ok(existsSync(file), "the function's signal never aborted in the worker");
        const seen = JSON.parse(readFileSync(file, "utf8")) as {
          aborted: boolean;
          code: unknown;
          message: string;
          afterMs: number;
        };
        assert.equal(seen.aborted, true);
        assert.equal(seen.code, "WEIR_TIMEOUT");
        assert.match(seen.message, /timed out after 200 ms/);
        assert.ok(seen.afterMs >= 195, `the signal aborted ${seen.afterMs.toFixed(1)} ms after the call`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
