/**
 * Values that cannot cross to or from a worker (symbols, functions, and cycles over msgpack) fail
 * only their item, with WEIR_ITEM_NOT_SERIALIZABLE naming the stage and the item, the same way on
 * every wire (threads and child processes, msgpack and ipc) and in both directions.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  child,
  ItemNotSerializableError,
  pipeline,
  StageError,
  worker,
  type DeadLetter,
  type PoolOptions,
} from "../../src/index.js";

const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url);

function cyclic(i: number): object {
  const a: Record<string, unknown> = { i };
  a.self = a;
  return a;
}

const going: Array<[kind: string, make: (i: number) => object]> = [
  ["symbol", (i) => ({ i, s: Symbol("s") })],
  ["function", (i) => ({ i, f: () => 1 })],
  ["cycle", cyclic],
];

const wires: Array<[label: string, make: typeof worker, options: PoolOptions, context: "worker" | "process"]> = [
  ["worker()", worker, {}, "worker"],
  ['worker(), wire: "ipc"', worker, { wire: "ipc" }, "worker"],
  ["child()", child, {}, "process"],
  ['child(), wire: "ipc"', child, { wire: "ipc" }, "process"],
];

/** Only msgpack to a child process cannot carry a cycle; structured clone can. */
const carriesCycles = (options: PoolOptions, context: string): boolean =>
  context === "worker" || options.wire === "ipc";

async function run(
  make: typeof worker,
  fn: string,
  options: PoolOptions,
  items: readonly unknown[],
): Promise<{ out: unknown[]; dead: DeadLetter[] }> {
  const out: unknown[] = [];
  const result = await pipeline("values")
    .from(items)
    .map(make(wire, fn, { maxWorkers: 1, ...options }), { name: "s", onError: "dead-letter" })
    .to((x) => void out.push(x))
    .run();
  return { out, dead: [...result.deadLetters] };
}

function assertNotSerializable(dead: DeadLetter[], direction: "item" | "result", context: string, kind: string): void {
  assert.deepEqual(
    dead.map((d) => d.index),
    [2],
    dead.map((d) => String(d.error)).join("; "),
  );
  const error = dead[0]!.error;
  assert.ok(error instanceof ItemNotSerializableError, String(error));
  assert.equal(error.code, "WEIR_ITEM_NOT_SERIALIZABLE");
  assert.equal(error.stage, "s");
  assert.equal(error.index, 2);
  assert.equal(error.direction, direction);
  assert.equal(error.context, context);
  assert.match(error.message, new RegExp(`^stage "s" item 2 `));
  if (kind === "cycle") assert.match(error.message, /cyclic or nested too deeply/);
}

for (const [label, make, options, context] of wires) {
  describe(`${label}: a value that cannot cross fails alone with WEIR_ITEM_NOT_SERIALIZABLE`, () => {
    for (const [kind, value] of going) {
      const fails = kind !== "cycle" || !carriesCycles(options, context);
      it(`an item holding a ${kind} ${fails ? "fails alone, going in" : "crosses"}`, async () => {
        const items = [0, 1, 2, 3, 4].map((i) => (i === 2 ? value(i) : { i }));
        const { out, dead } = await run(make, "indexOf", options, items);
        if (fails) {
          assertNotSerializable(dead, "item", context, kind);
          assert.deepEqual([...out].sort(), [0, 1, 3, 4]);
        } else {
          assert.deepEqual(dead, []);
          assert.deepEqual([...out].sort(), [0, 1, 2, 3, 4]);
        }
      });

      it(`a result holding a ${kind} ${fails ? "fails alone, coming back" : "crosses"}`, async () => {
        const items = [0, 1, 2, 3, 4].map((i) => (i === 2 ? { i, give: kind } : { i }));
        const { out, dead } = await run(make, "giveBack", options, items);
        if (fails) {
          assertNotSerializable(dead, "result", context, kind);
          assert.deepEqual([...out].sort(), [0, 1, 3, 4]);
        } else {
          assert.deepEqual(dead, []);
          const back = out.find((x) => typeof x === "object") as { i: number; self: unknown };
          assert.equal(back.self, back, "the cycle came back whole");
        }
      });
    }
  });
}

describe("under onError: fail", () => {
  for (const [label, make] of [
    ["worker()", worker],
    ["child()", child],
  ] as const) {
    it(`${label}: the run rejects with WEIR_STAGE_FAILED naming the stage and item, caused by WEIR_ITEM_NOT_SERIALIZABLE`, async () => {
      const run = pipeline("values")
        .from([{ i: 0 }, { i: 1, f: () => 1 }])
        .map(make(wire, "indexOf", { maxWorkers: 1 }), { name: "s" })
        .run();
      await assert.rejects(run, (e: unknown) => {
        assert.ok(e instanceof StageError, String(e));
        assert.equal(e.code, "WEIR_STAGE_FAILED");
        assert.equal(e.stage, "s");
        assert.equal(e.index, 1);
        assert.ok(e.cause instanceof ItemNotSerializableError);
        assert.equal(e.cause.direction, "item");
        return true;
      });
    });
  }
});
