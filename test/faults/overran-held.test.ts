// A worker whose synchronous item came back after its timeout (its start noted to the pool) asks
// the pool which of its batches it still holds before it starts anything more: the pool may have
// judged the item stuck and sent the rest elsewhere. The worker's runtime is driven here directly,
// through a port that records what it sends, so the answer can be either one on cue.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { WorkerRuntime, type WorkerPort } from "../../src/executor/pool/runtime/WorkerRuntime.js";
import {
  MSG_BATCH,
  MSG_CHAIN,
  MSG_HELD,
  MSG_OVERRAN,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULT,
  MSG_START,
  type FromWorker,
  type ResultMessage,
} from "../../src/executor/pool/wire/WireMessage.js";

const inWorker = new URL("../fixtures/faults/inWorker.mjs", import.meta.url).href;

/**
 * The chain's timeout; the first item blocks for twice as long. A tiny item must never take this
 * long, even on a loaded machine: it would overrun too, and wait for an answer nobody gives.
 */
const TIMEOUT_MS = 500;

let dir = "";
/** The file the items of the running test append themselves to, a line each time one runs. */
let log = "";
let logs = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "weir-overran-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The items that ran, in the order they ran. */
function ran(): number[] {
  return readFileSync(log, "utf8").trim().split("\n").map(Number);
}

/** An item of `runLogged`. */
function item(x: number, blockMs?: number): { x: number; log: string; blockMs?: number } {
  return blockMs === undefined ? { x, log } : { x, log, blockMs };
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
  assert.ok(done(), `timed out waiting for ${what}`);
}

/**
 * A runtime with `runLogged` (an item with `blockMs` blocks its thread that long) as a chain
 * timed at TIMEOUT_MS, given batch 1 (0 blocking for 2 × TIMEOUT_MS, 1, 2) and batch 2 (3, 4) at
 * once, run until the first item came back late and the worker asked.
 */
async function overran(): Promise<{ runtime: WorkerRuntime; sent: FromWorker[] }> {
  const sent: FromWorker[] = [];
  const port: WorkerPort = {
    send: (m) => void sent.push(m),
    check: () => {},
    memoryMb: () => 0,
    exit: () => {},
  };
  log = join(dir, `runs-${++logs}`);
  const runtime = new WorkerRuntime(inWorker, "worker", port);
  runtime.receive({ t: MSG_START, d: undefined });
  await until("the module", () => sent.some((m) => m.t === MSG_READY));
  runtime.receive({
    t: MSG_CHAIN,
    id: 1,
    stage: "s",
    steps: [{ kind: "map", exportName: "runLogged" }],
    to: TIMEOUT_MS,
    p: 1,
  });
  runtime.receive({ t: MSG_BATCH, b: 1, c: 1, x: [item(0, 2 * TIMEOUT_MS), item(1), item(2)], i: 0, a: 1 });
  runtime.receive({ t: MSG_BATCH, b: 2, c: 1, x: [item(3), item(4)], i: 3, a: 1 });
  await until("the overrun note", () => sent.some((m) => m.t === MSG_OVERRAN));
  // turns of its event loop pass: nothing starts while it waits for the answer
  await sleep(50);
  return { runtime, sent };
}

function results(sent: FromWorker[]): ResultMessage[] {
  return sent.filter((m): m is ResultMessage => m.t === MSG_RESULT);
}

/** The items the worker noted entering: `batch:position`. */
function entered(sent: FromWorker[]): string[] {
  return sent
    .filter((m) => m.t === MSG_PROGRESS && m.k >= 0)
    .map((m) => `${(m as { b: number }).b}:${(m as { k: number }).k}`);
}

describe("a worker whose noted synchronous item overran its timeout", () => {
  it("says so, and starts nothing more until the pool answers", async () => {
    const { runtime, sent } = await overran();
    try {
      assert.deepEqual(
        sent.filter((m) => m.t === MSG_OVERRAN),
        [{ t: MSG_OVERRAN, b: 1, k: 0 }],
      );
      assert.deepEqual(entered(sent), ["1:0"], "only the item that overran was entered");
      assert.deepEqual(ran(), [0]);
      assert.deepEqual(results(sent), []);
    } finally {
      runtime.close();
    }
  });

  it("drops the batches the pool took away (it judged the item stuck): none of their items runs, none is answered", async () => {
    const { runtime, sent } = await overran();
    try {
      runtime.receive({ t: MSG_HELD, b: [] });
      await sleep(50);
      assert.deepEqual(entered(sent), ["1:0"]);
      assert.deepEqual(ran(), [0]);
      assert.deepEqual(results(sent), []);
      // it goes on with what comes next
      runtime.receive({ t: MSG_BATCH, b: 3, c: 1, x: [item(5)], i: 5, a: 1 });
      await until("batch 3's reply", () => results(sent).length === 1);
      const [reply] = results(sent);
      assert.equal(reply!.b, 3);
      assert.deepEqual(reply!.v, [5]);
      assert.deepEqual(ran(), [0, 5]);
    } finally {
      runtime.close();
    }
  });

  it("keeps the batch the pool still holds and drops the other", async () => {
    const { runtime, sent } = await overran();
    try {
      runtime.receive({ t: MSG_HELD, b: [2] });
      await until("batch 2's reply", () => results(sent).length === 1);
      await sleep(30);
      const replies = results(sent);
      assert.deepEqual(
        replies.map((r) => r.b),
        [2],
      );
      assert.deepEqual(replies[0]!.v, [3, 4]);
      assert.deepEqual(entered(sent), ["1:0", "2:0", "2:1"]);
      assert.deepEqual(ran(), [0, 3, 4]);
    } finally {
      runtime.close();
    }
  });

  it("goes on with every batch when the pool still holds them all (it had not judged the item stuck)", async () => {
    const { runtime, sent } = await overran();
    try {
      runtime.receive({ t: MSG_HELD, b: [1, 2] });
      await until("both replies", () => results(sent).length === 2);
      const [first, second] = results(sent);
      assert.equal(first!.b, 1);
      assert.deepEqual(first!.o, [0], "the item that overran fails with a timeout");
      assert.deepEqual(first!.v.slice(1), [1, 2]);
      assert.equal(second!.b, 2);
      assert.deepEqual(second!.v, [3, 4]);
      assert.deepEqual(ran(), [0, 1, 2, 3, 4]);
    } finally {
      runtime.close();
    }
  });
});
