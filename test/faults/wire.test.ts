/**
 * The wire between a pool and its workers, driven with real malformed bytes on a real pipe and
 * real junk posted on a real port: whatever a worker sends, the parent survives, the worker is
 * replaced and only what it held is affected; values that cannot cross fail alone with a coded
 * error naming their stage and item, both ways, on every wire.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  child,
  pipeline,
  worker,
  WeirError,
  type DeadLetter,
  type PoolOptions,
  type PoolStage,
} from "../../src/index.js";

const wire = new URL("../fixtures/faults/wire.mjs", import.meta.url);

interface Outcome {
  readonly out: unknown[];
  readonly dead: DeadLetter[];
}

/** Runs `items` through `stage` (named "s"), dead-lettering failures. */
async function runAll(stage: PoolStage<unknown, unknown>, items: readonly unknown[]): Promise<Outcome> {
  const out: unknown[] = [];
  const result = await pipeline("wire")
    .from(items)
    .map(stage, { name: "s", onError: "dead-letter" })
    .to((x) => void out.push(x))
    .run();
  return { out, dead: [...result.deadLetters] };
}

/** `code` of an error-like value. */
function codeOf(e: unknown): unknown {
  return (e as { code?: unknown } | null)?.code;
}

/** Asserts that the only dead letter is item `index`, failed because its worker broke the protocol. */
function assertBrokeProtocol(o: Outcome, index: number, others: unknown[], reason: RegExp): void {
  assert.deepEqual(
    o.dead.map((d) => d.index),
    [index],
    `dead letters: ${o.dead.map((d) => String(d.error)).join("; ")}`,
  );
  const error = o.dead[0]!.error as Error & { cause?: unknown };
  assert.equal(codeOf(error), "WEIR_WORKER_CRASHED", String(error));
  assert.match(error.message, reason);
  assert.ok(WeirError.is(error.cause));
  assert.equal(error.cause.code, "WEIR_WORKER_PROTOCOL");
  assert.match(error.cause.message, reason);
  assert.deepEqual(
    [...o.out].sort((a, b) => Number(a) - Number(b)),
    others,
    "the other items ran (on the replacement worker)",
  );
}

/** Little-endian 32-bit length header. */
function header(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

/** Deterministic junk bytes (a linear congruential generator). */
function junk(n: number, seed: number): number[] {
  const bytes: number[] = [];
  let x = seed;
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    bytes.push(x >>> 24);
  }
  return bytes;
}

const items = (bad: object): object[] => [{ i: 0 }, { i: 1 }, { i: 2, ...bad }, { i: 3 }, { i: 4 }];

describe("a child process that writes malformed bytes on its pipe fails itself, never the parent", () => {
  // what each wire makes of the bytes: msgpack decodes more byte strings than V8's format, so
  // more of them fail the check that follows decoding
  const cases: Array<[what: string, bytes: number[], msgpack: RegExp, ipc: RegExp, options?: PoolOptions]> = [
    [
      "a frame that is not msgpack",
      [4, 0, 0, 0, 0xc1, 0xc1, 0xc1, 0xc1],
      /a frame of 4 bytes that does not decode \(msgpack\)/,
      /a frame of 4 bytes that does not decode \(ipc\)/,
    ],
    [
      "a length header of 0xffffffff",
      [0xff, 0xff, 0xff, 0xff],
      /4294967295 bytes, over the pool's maxFrameBytes \(268435456\)/,
      /4294967295 bytes, over the pool's maxFrameBytes \(268435456\)/,
    ],
    [
      "a header one byte over maxFrameBytes",
      header(65_537),
      /65537 bytes, over the pool's maxFrameBytes \(65536\)/,
      /65537 bytes, over the pool's maxFrameBytes \(65536\)/,
      { maxFrameBytes: 65_536 },
    ],
    ["a msgpack frame of null", [1, 0, 0, 0, 0xc0], /not an object \(null\)/, /does not decode \(ipc\)/],
    [
      "a msgpack map that is no message",
      [4, 0, 0, 0, 0x81, 0xa1, 0x74, 0x03],
      /unknown tag/,
      /does not decode \(ipc\)/,
    ],
    ["1,000 random bytes", junk(1000, 7), /it sent a frame/, /it sent a frame/],
    [
      "random bytes after a plausible header",
      [...header(64), ...junk(64, 11)],
      /a frame of 64 bytes that does not decode \(msgpack\)/,
      /a frame of 64 bytes that does not decode \(ipc\)/,
    ],
  ];
  for (const format of ["msgpack", "ipc"] as const) {
    for (const [what, bytes, msgpack, ipc, options] of cases) {
      it(`wire: "${format}": ${what}: the worker is replaced, its item fails with WEIR_WORKER_CRASHED (cause WEIR_WORKER_PROTOCOL), the rest run`, async () => {
        const stage = child(wire, "writeFrame", { maxWorkers: 1, wire: format, ...options });
        const o = await runAll(stage, items({ bytes }));
        assertBrokeProtocol(o, 2, [0, 1, 3, 4], format === "msgpack" ? msgpack : ipc);
      });
    }
  }

  it('wire: "ipc": a child has no IPC channel to write on (process.send is not there)', async () => {
    const o = await runAll(child(wire, "postRaw", { maxWorkers: 1, wire: "ipc" }), items({ post: null }));
    assert.deepEqual(
      o.dead.map((d) => d.index),
      [2],
    );
    assert.equal((o.dead[0]!.error as Error).name, "TypeError", "the stage's own call failed, in the child");
  });
});

describe("a worker thread that posts junk on its port fails itself, never the parent", () => {
  const cases: Array<[string, object, RegExp, PoolOptions?]> = [
    ["null", { post: null }, /not an object \(null\)/],
    ["undefined", { post: undefined }, /not an object/],
    ["a string", { post: "junk" }, /not an object \(a string/],
    ["an object with an unknown tag", { post: { t: 42 } }, /unknown tag \(number 42\)/],
    ["a result without its fields", { post: { t: 3, b: 0 } }, /a result for batch 0 without its values/],
    [
      "a result whose failure is no error",
      { post: { t: 3, b: 0, v: [], e: [[0, null]], o: null, r: null, u: 0, d: 0, m: 0 } },
      /malformed failures/,
    ],
    [
      "a well-formed result for a batch it does not hold",
      { post: { t: 3, b: 999_999, v: [], e: null, o: null, r: null, u: 0, d: 0, m: 0 } },
      /a result for batch 999999, which it does not hold/,
    ],
    [
      // packed as a result of arrays of numbers is (packNumbers), but claiming 2^31 numbers in all
      "a result whose packed numbers do not add up",
      {
        post: {
          t: 3,
          b: 0,
          v: { numbers: new Float64Array(2), lengths: new Uint32Array([1, 2 ** 31]) },
          e: null,
          o: null,
          r: null,
          u: 0,
          d: 0,
          m: 0,
        },
      },
      /a result for batch 0 without its values/,
      // the item's typed arrays are copied, not moved, so the crashed item can be tried again
      { transferItems: false },
    ],
    ["bytes that are not msgpack", { postBytes: [0xc1, 0xc1] }, /a frame of 2 bytes that does not decode \(msgpack\)/],
    ['null, on wire: "ipc"', { post: null }, /not an object \(null\)/, { wire: "ipc" }],
  ];
  for (const [what, bad, reason, options] of cases) {
    it(`${what}: the thread is replaced, its item fails with WEIR_WORKER_CRASHED (cause WEIR_WORKER_PROTOCOL), the rest run`, async () => {
      const o = await runAll(worker(wire, "postRaw", { maxWorkers: 1, ...options }), items(bad));
      assertBrokeProtocol(o, 2, [0, 1, 3, 4], reason);
    });
  }
});

for (const format of ["msgpack", "ipc"] as const) {
  describe(`wire: "${format}": maxFrameBytes: an item or a result over it fails alone, its worker goes on`, () => {
    const limit = { maxWorkers: 1, maxFrameBytes: 65_536, wire: format };

    it("an item over the limit fails with WEIR_ITEM_TOO_LARGE naming the limit; the same worker runs the others", async () => {
      const o = await runAll(child(wire, "pidOf", limit), items({ pad: "x".repeat(100_000) }));
      assert.deepEqual(
        o.dead.map((d) => d.index),
        [2],
      );
      const error = o.dead[0]!.error as Error & Record<string, unknown>;
      assert.equal(codeOf(error), "WEIR_ITEM_TOO_LARGE");
      assert.equal(error.stage, "s");
      assert.equal(error.index, 2);
      assert.equal(error.direction, "item");
      assert.equal(error.limitBytes, 65_536);
      assert.ok((error.bytes as number) > 100_000);
      assert.match(error.message, /stage "s" item 2 encodes to \d+ bytes, over the pool's maxFrameBytes \(65536\)/);
      const pids = new Set((o.out as Array<{ pid: number }>).map((x) => x.pid));
      assert.equal(pids.size, 1, "one worker ran every other item: none was replaced");
    });

    it("a result over the limit fails with WEIR_ITEM_TOO_LARGE (direction result); the same worker runs the others", async () => {
      const o = await runAll(child(wire, "grow", limit), [
        { i: 0, bytes: 0 },
        { i: 1, bytes: 100_000 },
        { i: 2, bytes: 10 },
      ]);
      assert.deepEqual(
        o.dead.map((d) => d.index),
        [1],
      );
      const error = o.dead[0]!.error as Error & Record<string, unknown>;
      assert.equal(codeOf(error), "WEIR_ITEM_TOO_LARGE", String(error));
      assert.equal(error.stage, "s");
      assert.equal(error.index, 1);
      assert.equal(error.direction, "result");
      assert.equal(error.limitBytes, 65_536);
      assert.match(
        error.message,
        /stage "s" item 1 has a result that encodes to \d+ bytes, over the pool's maxFrameBytes/,
      );
      assert.deepEqual(o.out, [0, "x".repeat(10)]);
    });

    it("items that fit one by one but not as one batch are sent one by one: none fails", async () => {
      const many = Array.from({ length: 12 }, (_, i) => ({ i, pad: "x".repeat(10_000) }));
      const o = await runAll(child(wire, "indexOf", limit), many);
      assert.deepEqual(o.dead, []);
      assert.deepEqual(
        [...o.out].sort((a, b) => Number(a) - Number(b)),
        many.map((x) => x.i),
      );
    });

    it("results that fit one by one but not as one reply come back one by one: none fails", async () => {
      const many = Array.from({ length: 12 }, (_, i) => ({ i, bytes: 10_000 }));
      const o = await runAll(child(wire, "grow", limit), many);
      assert.deepEqual(o.dead, []);
      assert.equal(o.out.length, 12);
    });
  });
}

describe("large items cross whole, and the wire goes on after them", () => {
  const big = "x".repeat(17 * 1024 * 1024); // over the size after which an encoder starts afresh
  const stages: Array<[string, () => PoolStage<unknown, unknown>]> = [
    ["child()", () => child(wire, "echo", { maxWorkers: 1 })],
    ['child(), wire: "ipc"', () => child(wire, "echo", { maxWorkers: 1, wire: "ipc" })],
    ["worker()", () => worker(wire, "echo", { maxWorkers: 1 })],
  ];
  for (const [label, stage] of stages) {
    it(`${label}: a 17 MB item and its result, then records of the same shape`, async () => {
      const sent = [
        { i: 0, s: "a" },
        { i: 1, s: big },
        { i: 2, s: "b" },
        { i: 3, s: "c" },
      ];
      const o = await runAll(stage(), sent);
      assert.deepEqual(o.dead, []);
      const back = (o.out as Array<{ i: number; s: string }>).sort((a, b) => a.i - b.i);
      assert.deepEqual(
        back.map((x) => x.i),
        [0, 1, 2, 3],
      );
      assert.equal(back[1]!.s.length, big.length);
      assert.deepEqual([back[0]!.s, back[2]!.s, back[3]!.s], ["a", "b", "c"]);
    });
  }
});
