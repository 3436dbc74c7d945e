/**
 * A fused tail's output buffer (the chunk the tail hands to the channel below) keeps its storage
 * from chunk to chunk but no item: once a chunk went out, what the next stage has finished with
 * can be collected, even while the source waits for its next item.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pipeline } from "../../src/index.js";
import { deferred, turns } from "../helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Item {
  readonly n: number;
  readonly payload: Uint8Array;
}

describe("a fused tail's output buffer", () => {
  it("holds no item once its chunk went out, while the source waits", async () => {
    // the items are made by the fused map: its output buffer is the only place in weir they pass
    const refs: WeakRef<Item>[] = [];
    const gate = deferred();
    const firstThree = deferred();
    let sunk = 0;
    async function* source(): AsyncGenerator<number> {
      yield* [0, 1, 2];
      await gate.promise; // the source waits: the chunk of three went out long ago
      yield 3;
    }
    const run = pipeline<number>("tail-buffer")
      .from(source())
      .map((n): Item => {
        const item = { n, payload: new Uint8Array(1024) };
        if (n < 3) refs.push(new WeakRef(item));
        return item;
      })
      .to(
        async () => {
          if (++sunk === 3) firstThree.resolve();
        },
        { concurrency: 2, name: "sink" },
      )
      .run();
    await firstThree.promise;
    await turns(3); // the sink's slots let go of the items
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    gate.resolve();
    const result = await run;
    assert.equal(result.stats["sink"]!.out, 4);
    assert.equal(refs.length, 3);
    assert.equal(alive, 0, `${alive} of the 3 items the sink finished with are still reachable`);
  });
});
