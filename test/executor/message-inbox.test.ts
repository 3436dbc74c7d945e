import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { MessageInbox } from "../../src/executor/pool/workers/MessageInbox.js";
import { pipeline, worker } from "../../src/index.js";

describe("MessageInbox: a delivery burst of worker messages does not hold the event loop's timers back", () => {
  it("handles messages at once within the burst's budget, then queues them for the check phase, in order", async () => {
    let now = 0;
    const handled: string[] = [];
    const inbox = new MessageInbox<string, number>(
      (w, m) => handled.push(`${w}${m}`),
      () => now,
    );
    inbox.push("a", 1);
    now = 3;
    inbox.push("b", 2);
    assert.deepEqual(handled, ["a1", "b2"], "within 4 ms of the burst's first message: handled as they come");
    now = 5;
    inbox.push("a", 3);
    inbox.push("b", 4);
    assert.deepEqual(handled, ["a1", "b2"], "past the budget: queued");
    assert.equal(inbox.size, 2);
    // the burst ends in the check phase of this turn: the queue is handled there, so the next
    // turn's timers run before another delivery
    await turn();
    assert.deepEqual(handled, ["a1", "b2", "a3", "b4"], "handled in the check phase, in arrival order");
    // a new burst starts with messages handled at once again
    now = 100;
    inbox.push("a", 5);
    assert.deepEqual(handled.at(-1), "a5");
    await turn();
  });

  it("flush() handles what is queued now (a worker's exit comes after what it sent before it)", () => {
    let now = 0;
    const handled: number[] = [];
    const inbox = new MessageInbox<string, number>(
      (_, m) => handled.push(m),
      () => now,
    );
    inbox.push("w", 1);
    now = 10;
    inbox.push("w", 2);
    inbox.push("w", 3);
    assert.deepEqual(handled, [1]);
    inbox.flush();
    assert.deepEqual(handled, [1, 2, 3]);
    assert.equal(inbox.size, 0);
  });

  it("a handler that throws leaves the messages after it for the next turn", async () => {
    let now = 0;
    const handled: number[] = [];
    const inbox = new MessageInbox<string, number>(
      (_, m) => {
        if (m === 2) throw new Error("boom");
        handled.push(m);
      },
      () => now,
    );
    inbox.push("w", 1);
    now = 10;
    inbox.push("w", 2);
    inbox.push("w", 3);
    assert.throws(() => inbox.flush(), /boom/);
    assert.deepEqual(handled, [1]);
    await turn();
    assert.deepEqual(handled, [1, 3]);
  });

  it("a worker stage's results all arrive, in order, through the inbox", async () => {
    const fixture = new URL("../fixtures/workers/bench.mjs", import.meta.url);
    const out: number[] = [];
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    await pipeline<number>("inbox")
      .from(items)
      .map(worker<number, number>(fixture, "inc", { maxWorkers: 2 }))
      .to((n) => void out.push(n))
      .run();
    assert.deepEqual(
      out,
      items.map((i) => i + 1),
    );
  });
});
