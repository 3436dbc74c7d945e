import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Channel } from "../../src/channel/Channel.js";
import { FifoQueue } from "../../src/channel/FifoQueue.js";
import { turns } from "../helpers.js";

/** A full channel of `capacity` and a producer waiting on it; `woke()` says whether it woke yet. */
async function fullWithWaiter(capacity: number): Promise<{ channel: Channel<number>; woke: () => boolean }> {
  const channel = new Channel<number>(new FifoQueue<number>(), capacity, 1);
  for (let i = 0; i < capacity; i++) channel.push(i, i);
  assert.equal(channel.hasSpace, false);
  let woke = false;
  void channel.space().then(() => (woke = true));
  await Promise.resolve();
  return { channel, woke: () => woke };
}

describe("Channel: when a waiting producer wakes", () => {
  it("at half the capacity, not at the first free place: it refills half the channel at once", async () => {
    const { channel, woke } = await fullWithWaiter(64);
    for (let i = 0; i < 31; i++) channel.shift();
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(woke(), false, "33 queued: still waiting (within this turn)");
    channel.shift();
    await Promise.resolve();
    assert.equal(woke(), true, "32 queued: half the capacity");
  });

  it("on the next turn of the event loop once there is any space, when the consumer stops above half", async () => {
    const { channel, woke } = await fullWithWaiter(64);
    channel.shift();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.equal(woke(), false);
    await turns(1);
    assert.equal(woke(), true, "63 queued, one turn later");
  });

  it("the same when the consumer takes a run of items in one call (shiftRun)", async () => {
    const half = await fullWithWaiter(64);
    half.channel.shiftRun([], 31);
    await turns(0);
    await Promise.resolve();
    assert.equal(half.woke(), false, "33 queued: still waiting (within this turn)");
    half.channel.shiftRun([], 1);
    await Promise.resolve();
    assert.equal(half.woke(), true, "32 queued: half the capacity");
    const late = await fullWithWaiter(64);
    late.channel.shiftRun([], 2);
    await Promise.resolve();
    assert.equal(late.woke(), false, "62 queued: above half");
    await turns(1);
    assert.equal(late.woke(), true, "on the next turn");
  });

  it("at the first free place for a capacity of 1 or 2", async () => {
    for (const capacity of [1, 2]) {
      const { channel, woke } = await fullWithWaiter(capacity);
      channel.shift();
      await Promise.resolve();
      assert.equal(woke(), true, `capacity ${capacity}`);
    }
  });

  it("a late wake-up finds no waiter once the producer was woken at half: nothing is called twice", async () => {
    const { channel, woke } = await fullWithWaiter(8);
    channel.shift(); // schedules the late wake-up
    for (let i = 0; i < 3; i++) channel.shift(); // 4 queued: woken now
    await Promise.resolve();
    assert.equal(woke(), true);
    let again = 0;
    while (channel.hasSpace) channel.push(0, 0);
    void channel.space().then(() => again++);
    await turns(2);
    assert.equal(again, 0, "full again, and the late wake-up of the first wait does not wake the second");
  });
});

describe("Channel: resize (a pool stage's channel follows its batch size)", () => {
  it("growing wakes a waiting producer at once when the channel is at or under the new half", async () => {
    const { channel, woke } = await fullWithWaiter(8);
    channel.resize(32);
    assert.equal(channel.capacity, 32);
    assert.equal(channel.hasSpace, true);
    await Promise.resolve();
    assert.equal(woke(), true, "8 queued, half of 32 is 16");
  });

  it("growing a little leaves the producer to the usual wake-up: half the new capacity", async () => {
    const { channel, woke } = await fullWithWaiter(8);
    channel.resize(10); // 8 queued: room for two, but over half of 10
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(woke(), false);
    for (let i = 0; i < 3; i++) channel.shift(); // 5 queued: half of 10
    await Promise.resolve();
    assert.equal(woke(), true);
  });

  it("shrinking drops nothing: the items stay, and producers wait until the consumer took it under the new capacity", async () => {
    const channel = new Channel<number>(new FifoQueue<number>(), 32, 1);
    for (let i = 0; i < 20; i++) channel.push(i, i);
    channel.resize(8);
    assert.equal(channel.size, 20);
    assert.equal(channel.hasSpace, false);
    assert.throws(() => channel.push(20, 20), /push into a full channel \(capacity 8\)/);
    let woke = false;
    void channel.space().then(() => (woke = true));
    const taken: number[] = [];
    for (let i = 0; i < 15; i++) taken.push(channel.shift());
    await Promise.resolve();
    assert.equal(woke, false, "5 queued: over half of 8");
    taken.push(channel.shift());
    await Promise.resolve();
    assert.equal(woke, true, "4 queued");
    while (channel.size > 0) taken.push(channel.shift());
    assert.deepEqual(taken, [...Array(20).keys()], "every item, in order");
  });
});
