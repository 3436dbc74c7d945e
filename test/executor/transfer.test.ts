import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkerCrashedError } from "../../src/errors/WorkerCrashedError.js";
import { collectTransferables, hasDetachedBuffer } from "../../src/executor/pool/wire/collectTransferables.js";
import { createExecutor } from "../../src/executor/pool/stage/createExecutor.js";
import { ItemTransferredError, pipeline, worker, type RunResult } from "../../src/index.js";
import { attempt, attemptAll, codeOf, fns, type Outcome } from "./harness.js";

/** A Float64Array of `n` elements, each `n`. */
const f64 = (n: number): Float64Array => new Float64Array(n).fill(n);

/** Moves `buffer` away (as a transfer to a worker does), leaving it detached here. */
function detach(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

function errorOf(o: Outcome): unknown {
  assert.equal(o.ok, false, `expected a failure, got ${JSON.stringify(o)}`);
  return (o as { error: unknown }).error;
}

function assertTransferred(error: unknown, resend: "crash" | "retry", index: number): void {
  assert.ok(error instanceof ItemTransferredError, `expected an ItemTransferredError, got ${String(error)}`);
  assert.equal(error.code, "WEIR_ITEM_TRANSFERRED");
  assert.equal(error.resend, resend);
  assert.equal(error.index, index);
  assert.match(error.message, /ArrayBuffers were moved into a worker thread/);
  assert.match(error.message, /transferItems: false/);
  if (resend === "crash") assert.ok(error.cause instanceof WorkerCrashedError, "the crash is the cause");
}

describe("transferred items", () => {
  it("hasDetachedBuffer tells a detached buffer (bare, in a view, a DataView, nested) from an empty one", () => {
    const a = new ArrayBuffer(8);
    const view = f64(2);
    const dv = new DataView(new ArrayBuffer(4));
    const nested = { rows: [{ data: f64(3) }] };
    for (const b of [a, view.buffer, dv.buffer, nested.rows[0]!.data.buffer]) detach(b);
    assert.equal(hasDetachedBuffer(a), true);
    assert.equal(hasDetachedBuffer(view), true);
    assert.equal(hasDetachedBuffer(dv), true);
    assert.equal(hasDetachedBuffer(nested), true);
    assert.equal(hasDetachedBuffer({ x: new ArrayBuffer(0), y: new Float64Array(0), z: [1, "a", null] }), false);
    assert.equal(hasDetachedBuffer(f64(2)), false);
    assert.equal(hasDetachedBuffer(42), false);
    // a detached DataView throws on byteOffset: the collector must not
    assert.deepEqual(collectTransferables({ dv, live: view }, []), []);
  });

  it("a batch-mate exits its thread: typed-array items fail WEIR_ITEM_TRANSFERRED (the crash as cause), plain items go again and complete", async () => {
    const e = createExecutor(worker(fns, "exitOn", { maxWorkers: 1 }), "exit");
    try {
      // one tick: one batch
      const items = [f64(1), f64(2), 5, -1, { data: f64(3) }, "s"];
      const out = await attemptAll(e, items);
      assertTransferred(errorOf(out[0]!), "crash", 0);
      assertTransferred(errorOf(out[1]!), "crash", 1);
      assert.deepEqual(out[2], { ok: true, value: 5 });
      const crash = errorOf(out[3]!);
      assert.ok(crash instanceof WorkerCrashedError);
      assert.equal(crash.exitCode, 1);
      assertTransferred(errorOf(out[4]!), "crash", 4);
      assert.deepEqual(out[5], { ok: true, value: "s" });
      for (const o of out) if (!o.ok) assert.notEqual((o.error as Error).name, "DataCloneError");
      // the pool goes on, and still transfers
      const fresh = f64(4);
      const again = await attempt(e, fresh, 6);
      assert.deepEqual(again, { ok: true, value: f64(4) });
      assert.equal(fresh.buffer.byteLength, 0, "transferred: detached here");
    } finally {
      await e.close();
    }
  });

  it("transferItems: false: the same batch loses nothing but the poison item, and the items keep their bytes", async () => {
    const e = createExecutor(worker(fns, "exitOn", { maxWorkers: 1, transferItems: false }), "exit");
    try {
      const items = [f64(1), f64(2), 5, -1, { data: f64(3) }, "s"];
      const out = await attemptAll(e, items);
      assert.deepEqual(out[0], { ok: true, value: f64(1) });
      assert.deepEqual(out[1], { ok: true, value: f64(2) });
      assert.deepEqual(out[2], { ok: true, value: 5 });
      assert.ok(errorOf(out[3]!) instanceof WorkerCrashedError);
      assert.deepEqual(out[4], { ok: true, value: { data: f64(3) } });
      assert.deepEqual(out[5], { ok: true, value: "s" });
      assert.deepEqual(items[0], f64(1), "copied, not moved");
    } finally {
      await e.close();
    }
  });

  it("a retry of an item whose buffer the first attempt moved fails WEIR_ITEM_TRANSFERRED at once; plain and empty-buffer items retry", async () => {
    const e = createExecutor(worker(fns, "failFirstAttempt", { maxWorkers: 1 }), "retry");
    try {
      const item = f64(2);
      const first = errorOf(await attempt(e, item, 0, undefined, 1));
      assert.match((first as Error).message, /first attempt of item 0/);
      assert.equal(item.buffer.byteLength, 0, "moved by the first attempt");
      assertTransferred(errorOf(await attempt(e, item, 0, undefined, 2)), "retry", 0);
      assert.deepEqual(await attempt(e, 7, 1, undefined, 2), { ok: true, value: 7 });
      assert.deepEqual(await attempt(e, new Float64Array(0), 2, undefined, 2), {
        ok: true,
        value: new Float64Array(0),
      });
    } finally {
      await e.close();
    }
    const copying = createExecutor(worker(fns, "failFirstAttempt", { maxWorkers: 1, transferItems: false }), "retry");
    try {
      const item = f64(2);
      errorOf(await attempt(copying, item, 0, undefined, 1));
      assert.deepEqual(await attempt(copying, item, 0, undefined, 2), { ok: true, value: f64(2) });
    } finally {
      await copying.close();
    }
  });

  describe("in a pipeline (dead-letter)", () => {
    async function run(transferItems: boolean): Promise<{ out: Float64Array[]; result: RunResult }> {
      const out: Float64Array[] = [];
      const result = await pipeline("transfer")
        .from<Float64Array | number>([f64(1), f64(2), -1, f64(3)])
        .map(worker<Float64Array | number, Float64Array>(fns, "exitOn", { maxWorkers: 1, transferItems }), {
          name: "exit",
          onError: "dead-letter",
        })
        .to((x) => void out.push(x))
        .run();
      return { out, result };
    }

    it("maxWorkers 1, [f64, f64, -1, f64]: the poison item crashes, typed-array batch-mates fail WEIR_ITEM_TRANSFERRED, the others go out", async () => {
      const { out, result } = await run(true);
      const dead = result.deadLetters;
      const sourceIndex = new Map([
        [1, 0],
        [2, 1],
        [3, 3],
      ]); // f64(n) by its length
      const indices = [...out.map((x) => sourceIndex.get(x.length)), ...dead.map((d) => d.index)].sort(
        (a, b) => a! - b!,
      );
      assert.deepEqual(indices, [0, 1, 2, 3], "every item exactly once");
      for (const x of out) assert.deepEqual(x, f64(x.length), "bytes intact");
      assert.ok(
        dead.some((d) => d.index !== 2),
        "the items share a batch with the poison item (else this checks nothing)",
      );
      const poison = dead.find((d) => d.index === 2);
      assert.equal(codeOf(poison?.error), "WEIR_WORKER_CRASHED");
      for (const d of dead) {
        if (d.index === 2) continue;
        assert.equal(codeOf(d.error), "WEIR_ITEM_TRANSFERRED", `item ${d.index}: ${String(d.error)}`);
        assert.equal((d.error as ItemTransferredError).resend, "crash");
      }
      assert.equal(result.stats.exit!.out, out.length);
    });

    it("transferItems: false: the same run loses nothing but the poison item", async () => {
      const { out, result } = await run(false);
      assert.deepEqual(out, [f64(1), f64(2), f64(3)]);
      assert.equal(result.deadLetters.length, 1);
      assert.equal(result.deadLetters[0]!.index, 2);
      assert.equal(codeOf(result.deadLetters[0]!.error), "WEIR_WORKER_CRASHED");
    });

    it("retry 2: a typed-array item whose first attempt failed is dead-lettered WEIR_ITEM_TRANSFERRED after 2 attempts; copied, it retries", async () => {
      for (const transferItems of [true, false]) {
        const out: unknown[] = [];
        const result = await pipeline("retry")
          .from<Float64Array | number>([f64(2), 7])
          .map(
            worker<Float64Array | number, Float64Array | number>(fns, "failFirstAttempt", {
              maxWorkers: 1,
              transferItems,
            }),
            {
              name: "retry",
              retry: { attempts: 2, baseMs: 1 },
              onError: "dead-letter",
            },
          )
          .to((x) => void out.push(x))
          .run();
        if (transferItems) {
          assert.deepEqual(out, [7]);
          assert.equal(result.deadLetters.length, 1);
          const [d] = result.deadLetters;
          assert.equal(d!.index, 0);
          assert.equal(d!.attempts, 2);
          assertTransferred(d!.error, "retry", 0);
        } else {
          assert.deepEqual(out, [f64(2), 7]);
          assert.equal(result.deadLetters.length, 0);
        }
      }
    });
  });
});
