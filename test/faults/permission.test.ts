/**
 * A child process runs under Node's permission model with no more permissions than its stage
 * needs: weir's own watchdog (a shell, or a thread) is not started when neither is allowed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, pipeline } from "../../src/index.js";

const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url);
const major = Number(process.versions.node.split(".")[0]);
/** The model's flag: `--experimental-permission` on Node 20 and 21, `--permission` from 22. */
const model = major >= 22 ? "--permission" : "--experimental-permission";

describe("the permission model", () => {
  it(`a child started with ${model} and only --allow-fs-read runs its items (no --allow-child-process or --allow-worker needed)`, async () => {
    const out: unknown[] = [];
    const result = await pipeline("perm")
      .from([0, 1, 2])
      .map(child(wire, "echo", { maxWorkers: 1, execArgv: [model, "--allow-fs-read=*"] }), {
        onError: "dead-letter",
      })
      .to((x) => void out.push(x))
      .run();
    assert.deepEqual(
      result.deadLetters.map((d) => String(d.error)),
      [],
    );
    assert.deepEqual(out, [0, 1, 2]);
  });
});
