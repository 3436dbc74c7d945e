/**
 * Least privilege for a pool's workers: the `env` option decides which environment variables a
 * child process (or a thread) sees, and weir passes nothing of its own through the environment.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { child, InvalidOptionError, pipeline, worker, type PoolOptions } from "../../src/index.js";

const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url);

interface Startup {
  readonly env: Record<string, string>;
  readonly initial: string[] | null;
  readonly argv: string[];
  readonly entry: string;
}

/** What one worker of a `make` stage with `options` saw when it started. */
async function startup(make: typeof child, options: PoolOptions): Promise<Startup> {
  let seen: Startup | undefined;
  await pipeline("env")
    .from([0])
    .map(make<number, Startup>(wire, "startup", { maxWorkers: 1, ...options }))
    .to((s) => void (seen = s))
    .run();
  assert.ok(seen !== undefined);
  return seen;
}

describe("env: what a child process sees of the parent's environment", () => {
  // a variable of this test process only, as a secret would be
  process.env.WEIR_FAULTS_SECRET = "s3cret";

  it("\"inherit\" (the default): the parent's variables, and nothing of weir's in the environment it started with", async () => {
    const seen = await startup(child, {});
    assert.equal(seen.env.WEIR_FAULTS_SECRET, "s3cret");
    assert.equal(seen.env.PATH, process.env.PATH);
    if (seen.initial !== null) {
      const weirs = seen.initial.filter((name) => name.startsWith("WEIR_") && name !== "WEIR_FAULTS_SECRET");
      assert.deepEqual(weirs, [], "weir's parameters travel in its argument, not in the environment");
    }
  });

  it("an allow-list: only those of the parent's variables", async () => {
    const seen = await startup(child, { env: ["PATH", "NOT_SET_ANYWHERE"] });
    assert.deepEqual(seen.env, { PATH: process.env.PATH });
    if (seen.initial !== null) assert.deepEqual(seen.initial, ["PATH"]);
  });

  it("an object: exactly those variables", async () => {
    const seen = await startup(child, { env: { ONLY: "1" } });
    assert.deepEqual(seen.env, { ONLY: "1" });
    if (seen.initial !== null) assert.deepEqual(seen.initial, ["ONLY"]);
  });

  it("a thread gets the same variables as its process.env", async () => {
    const seen = await startup(worker, { env: { ONLY: "1" } });
    assert.deepEqual(seen.env, { ONLY: "1" });
    const all = await startup(worker, {});
    assert.equal(all.env.WEIR_FAULTS_SECRET, "s3cret");
  });

  it("the child's process.argv holds no weir parameter: [node, entry] as under plain Node", async () => {
    const seen = await startup(child, {});
    assert.deepEqual(seen.argv, []);
  });

  it("validates env where the stage is made", () => {
    const bad: Array<[unknown, RegExp]> = [
      [5, /pool\.env/],
      ["all", /pool\.env/],
      [["PATH", 3], /pool\.env/],
      [["A=B"], /pool\.env/],
      [{ A: 1 }, /pool\.env\.A/],
    ];
    for (const [env, option] of bad) {
      assert.throws(
        () => child(wire, "startup", { env } as unknown as PoolOptions),
        (e: unknown) => e instanceof InvalidOptionError && option.test(e.message),
        String(env),
      );
    }
  });
});
