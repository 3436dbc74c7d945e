import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { format, inspect } from "node:util";
import { pipeline, worker, workflow, StageError, TaskError, WeirError } from "../../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fns = new URL("../fixtures/workers/fns.mjs", import.meta.url);
const SECRET = "card-4111-1111-1111-1111";

/** Every way an error reaches a log: none of them may show the item. */
function printed(error: unknown): string[] {
  return [
    JSON.stringify(error),
    JSON.stringify({ level: "error", error }),
    inspect(error),
    inspect(error, { showHidden: true, getters: true, depth: Infinity }),
    format("%o", error),
    format("%O", error),
    format("%s", error),
    String(error),
  ];
}

async function failure(run: PromiseLike<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  assert.fail("the run should have failed");
}

describe("errors keep the item out of serialization and logs", () => {
  it("a StageError from a real run: the item is error.item, and in no JSON or inspect output", async () => {
    const item = { id: 7, card: SECRET };
    const error = await failure(
      pipeline("pay")
        .from([{ id: 6, card: "ok" }, item])
        .map(
          (o) => {
            if (o.id === 7) throw new Error("declined");
            return o;
          },
          { name: "charge" },
        )
        .to(() => {})
        .run(),
    );
    assert.ok(error instanceof StageError);
    assert.equal(error.item, item, "the item stays reachable");
    for (const text of printed(error)) assert.doesNotMatch(text, new RegExp(SECRET), text);
    assert.equal(Object.keys(error).includes("item"), false);
    assert.equal(structuredClone(error).item, undefined);
  });

  it("JSON.stringify gives the code, message, fields and cause", async () => {
    const error = await failure(
      pipeline("pay")
        .from([{ card: SECRET }])
        .map(
          () => {
            throw Object.assign(new Error("declined"), { code: "E_DECLINED" });
          },
          { name: "charge", retry: { attempts: 2, baseMs: 0 } },
        )
        .to(() => {})
        .run(),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      name: "StageError",
      code: "WEIR_STAGE_FAILED",
      message: 'stage "charge" failed on item 0 after 2 attempts: declined',
      stage: "charge",
      index: 0,
      attempts: 2,
      cause: { name: "Error", message: "declined", code: "E_DECLINED" },
    });
  });

  it("an item that failed in a worker thread: the parent's StageError does not print it either", async () => {
    const error = await failure(
      pipeline("w")
        .from([SECRET])
        .map(worker<string, string>(fns, "throwString", { maxWorkers: 1 }), { name: "fail-in-worker" })
        .to(() => {})
        .run(),
    );
    assert.ok(error instanceof StageError, String(error));
    assert.equal(error.item, SECRET);
    for (const text of printed(error)) assert.doesNotMatch(text, new RegExp(SECRET), text);
  });

  it("a dead letter keeps its item as a field; its error prints without it", async () => {
    const r = await pipeline("dl")
      .from([{ card: SECRET }])
      .map(
        () => {
          throw new Error("declined");
        },
        { name: "charge", onError: "dead-letter" },
      )
      .to(() => {})
      .run();
    const letter = r.deadLetters[0]!;
    assert.deepEqual(letter.item, { card: SECRET });
    for (const text of printed(letter.error)) assert.doesNotMatch(text, new RegExp(SECRET));
  });

  it("TaskError and other weir errors serialize with code and message (never {})", async () => {
    const r = await workflow("wf")
      .task("extract", () => {
        throw new Error("extract broke");
      })
      .run();
    assert.ok(r.error instanceof TaskError);
    const json = JSON.parse(JSON.stringify(r.error)) as Record<string, unknown>;
    assert.equal(json.code, "WEIR_TASK_FAILED");
    assert.equal(json.task, "extract");
    assert.match(String(json.message), /extract broke/);
    assert.deepEqual(json.cause, { name: "Error", message: "extract broke" });
    // a cause JSON cannot take (a BigInt, a cycle) is described, never a throw
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const odd = new StageError("s", 1, SECRET, cyclic);
    assert.deepEqual(JSON.parse(JSON.stringify(odd)).cause, "an object");
    assert.equal(JSON.parse(JSON.stringify(new StageError("s", 1, 1n, 5n))).cause, "5");
    assert.ok(WeirError.is(odd));
  });

  it("weir run --json prints a failed run's error as JSON on stdout, without the item", () => {
    const r = spawnSync(
      process.execPath,
      [`${root}bin/weir.js`, "run", "--json", "test/fixtures/faults/secret-item.mjs"],
      {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { error: { code: string; stage: string; index: number } };
    assert.equal(out.error.code, "WEIR_STAGE_FAILED");
    assert.equal(out.error.stage, "charge");
    assert.equal(out.error.index, 1);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
    assert.match(r.stderr, /WEIR_STAGE_FAILED: stage "charge" failed on item 1: declined/);
  });
});
