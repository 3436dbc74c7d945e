import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sharedHold } from "../../src/time/sharedHold.js";

describe("sharedHold", () => {
  it("starts with the first holder, stops with the last, and counts a double release once", () => {
    const log: string[] = [];
    const shared = sharedHold(
      () => log.push("start"),
      () => log.push("stop"),
    );
    const a = shared.hold();
    const b = shared.hold();
    assert.deepEqual(log, ["start"]);
    assert.equal(shared.holders, 2);
    a();
    a();
    assert.equal(shared.holders, 1);
    assert.deepEqual(log, ["start"]);
    b();
    assert.deepEqual(log, ["start", "stop"]);
    assert.equal(shared.holders, 0);
    shared.hold()();
    assert.deepEqual(log, ["start", "stop", "start", "stop"]);
  });
});
