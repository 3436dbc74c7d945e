import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bulkhead } from "../../src/policy/Bulkhead.js";
import { withAdmission } from "../../src/policy/withAdmission.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { sleep } from "../../src/time/Clock.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

describe("bulkhead", () => {
  it("admits up to its limit in weight, refuses with Infinity, wakes on release", () => {
    const db = bulkhead<number>({ name: "db", limit: 4, weight: (n) => n });
    let woken = 0;
    db.onChange(() => woken++);
    const fullEvents: number[] = [];
    db.on("full", (e) => fullEvents.push(e.weight));
    assert.equal(db.tryAcquire(3, 0), 0);
    assert.equal(db.tryAcquire(2, 0), Infinity);
    assert.equal(db.tryAcquire(1, 0), 0);
    assert.equal(db.inUse, 4);
    db.release(3, { ok: true, latencyMs: 1 }, 0);
    assert.equal(woken, 1);
    assert.equal(db.tryAcquire(2, 0), 0);
    assert.deepEqual(fullEvents, [2]);
    assert.equal(db.tryAcquire(99, 0), Infinity, "a weight above the limit is cut to the limit");
    db.release(1, { ok: true, latencyMs: 1 }, 0);
    db.release(2, { ok: true, latencyMs: 1 }, 0);
    assert.equal(db.tryAcquire(99, 0), 0, "and then runs alone");
    const s = db.stats();
    assert.ok(Object.isFrozen(s));
    assert.equal(s.peakInUse, 4);
  });

  it("caps concurrency across several users sharing it", async () => {
    const clock = new ManualClock();
    const db = bulkhead<number>({ name: "db", limit: 3 });
    let running = 0;
    let peak = 0;
    const task = async (n: number): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      await sleep(clock, 10 + (n % 3));
      running--;
      return n;
    };
    // Two "stages" of 10 items each over one pool.
    const all = Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => withAdmission(db, i, task, { clock }))),
      Promise.all(Array.from({ length: 10 }, (_, i) => withAdmission(db, 100 + i, task, { clock }))),
    ]);
    await clock.runAll();
    const [a, b] = await all;
    assert.equal(a.length + b.length, 20);
    assert.equal(peak, 3);
    assert.equal(db.inUse, 0);
  });

  it("setLimit grows capacity at run time and wakes waiters; items above a lowered limit finish", () => {
    const db = bulkhead<number>({ name: "db", limit: 2, weight: (n) => n });
    assert.equal(db.tryAcquire(2, 0), 0);
    let woken = 0;
    db.onChange(() => woken++);
    db.setLimit(1);
    db.release(2, { ok: true, latencyMs: 1 }, 0);
    assert.equal(db.inUse, 0, "gives back what it took even though the limit changed");
    db.setLimit(4);
    assert.equal(woken, 3);
    assert.equal(db.tryAcquire(2, 0), 0);
    assert.equal(db.tryAcquire(2, 0), 0);
  });

  it("validates", () => {
    assert.throws(
      () => bulkhead({ name: "", limit: 1 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "name",
    );
    assert.throws(
      () => bulkhead({ name: "x", limit: 0 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "limit",
    );
    const b = bulkhead<number>({ name: "x", limit: 1, weight: () => -1 });
    assert.throws(
      () => b.tryAcquire(1, 0),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "weight(item)",
    );
    const e = bulkhead<number>({ name: "db", limit: 2 }).refusal(1, 0);
    assert.equal(e.code, "WEIR_BULKHEAD_FULL");
    assert.equal(e.bulkhead, "db");
  });
});
