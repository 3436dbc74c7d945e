import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { circuitBreaker, type CircuitBreakerEvents } from "../../src/policy/CircuitBreaker.js";
import { acquire } from "../../src/policy/acquire.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { CircuitOpenError } from "../../src/errors/CircuitOpenError.js";
import { InvalidOptionError } from "../../src/errors/InvalidOptionError.js";

const fail = { ok: false, error: new Error("down"), latencyMs: 5 } as const;
const ok = { ok: true, latencyMs: 5 } as const;

describe("circuitBreaker", () => {
  it("opens after consecutive failures, half-opens, closes on a good probe", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 3, halfOpenAfterMs: 1000, clock });
    const changes: string[] = [];
    breaker.on("state", (e: CircuitBreakerEvents["state"]) => changes.push(`${e.from}->${e.to}:${e.reason}`));
    for (let i = 0; i < 2; i++) {
      assert.equal(breaker.tryAcquire(i, 0), 0);
      breaker.release(i, fail, 0);
    }
    breaker.tryAcquire(9, 0);
    breaker.release(9, ok, 0); // a success resets the run of failures
    for (let i = 0; i < 3; i++) {
      assert.equal(breaker.tryAcquire(i, 10), 0);
      breaker.release(i, fail, 10);
    }
    assert.equal(breaker.state, "open");
    assert.equal(breaker.tryAcquire(5, 10), 1000);
    assert.equal(breaker.tryAcquire(5, 600), 410);
    let woken = 0;
    breaker.onChange(() => woken++);
    await clock.advance(1010);
    assert.equal(woken, 1, "half-open notifies waiters");
    assert.equal(breaker.state, "half-open");
    assert.equal(breaker.tryAcquire(7, 1010), 0, "one probe");
    assert.equal(breaker.tryAcquire(8, 1010), Infinity, "others wait for the probe");
    breaker.release(7, ok, 1020);
    assert.equal(breaker.state, "closed");
    assert.equal(woken, 2);
    assert.deepEqual(changes, [
      "closed->open:consecutive-failures",
      "open->half-open:half-open",
      "half-open->closed:probe-succeeded",
    ]);
    assert.equal(breaker.stats().opens, 1);
  });

  it("a failed probe reopens it for another halfOpenAfterMs", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, halfOpenAfterMs: 500, clock });
    breaker.tryAcquire(1, 0);
    breaker.release(1, fail, 0);
    await clock.advance(500);
    assert.equal(breaker.tryAcquire(2, 500), 0);
    breaker.release(2, fail, 520);
    assert.equal(breaker.state, "open");
    assert.equal(breaker.tryAcquire(3, 520), 500);
  });

  it("opens on the failure ratio over the window once enough requests were seen", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({
      consecutiveFailures: 0,
      failureRatio: 0.5,
      minimumRequests: 10,
      windowMs: 1000,
      clock,
    });
    // Alternate ok/fail: ratio 0.5, never 2 in a row.
    for (let i = 0; i < 9; i++) {
      breaker.tryAcquire(i, i);
      breaker.release(i, i % 2 === 0 ? ok : fail, i);
    }
    assert.equal(breaker.state, "closed", "9 requests are below minimumRequests");
    breaker.tryAcquire(9, 9);
    breaker.release(9, fail, 9);
    assert.equal(breaker.state, "open");
  });

  it("forgets failures older than the window", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({
      consecutiveFailures: 0,
      failureRatio: 0.5,
      minimumRequests: 4,
      windowMs: 1000,
      clock,
    });
    for (let i = 0; i < 3; i++) {
      breaker.tryAcquire(i, 0);
      breaker.release(i, fail, 0);
    }
    for (let i = 0; i < 4; i++) {
      breaker.tryAcquire(i, 5000);
      breaker.release(i, ok, 5000);
    }
    breaker.tryAcquire(9, 5000);
    breaker.release(9, fail, 5000);
    assert.equal(breaker.state, "closed", "1 failure in 5 within the window");
  });

  it("ignores errors isFailure rejects, and results of attempts started before it opened", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({
      consecutiveFailures: 2,
      clock,
      isFailure: (e) => !(e instanceof TypeError),
    });
    breaker.tryAcquire(1, 0);
    breaker.tryAcquire(2, 0);
    breaker.tryAcquire(3, 0);
    breaker.release(1, { ok: false, error: new TypeError("bad input"), latencyMs: 1 }, 0);
    breaker.release(2, fail, 0);
    assert.equal(breaker.state, "closed");
    breaker.tryAcquire(4, 0);
    breaker.release(4, fail, 0);
    assert.equal(breaker.state, "open");
    breaker.release(3, ok, 1);
    assert.equal(breaker.state, "open", "a late success of an earlier attempt does not close it");
  });

  it("a pre-open attempt whose item equals the probe's succeeding while half-open does not close it", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<object>({ consecutiveFailures: 1, halfOpenAfterMs: 1000, clock });
    const changes: string[] = [];
    breaker.on("state", (e: CircuitBreakerEvents["state"]) => changes.push(`${e.from}->${e.to}:${e.reason}`));
    const order = { id: 1 }; // broadcast to two stages that share the breaker
    assert.equal(breaker.tryAcquire(order, 0), 0, "stage A starts on it while closed");
    const other = { id: 2 };
    breaker.tryAcquire(other, 0);
    breaker.release(other, fail, 0);
    assert.equal(breaker.state, "open");
    await clock.advance(1000);
    assert.equal(breaker.tryAcquire(order, 1000), 0, "stage B's attempt on the same object is the probe");
    assert.equal(breaker.tryAcquire(other, 1000), Infinity);
    let woken = 0;
    breaker.onChange(() => woken++);
    breaker.release(order, { ok: true, latencyMs: 1200 }, 1200); // stage A's attempt, started at 0
    assert.equal(breaker.state, "half-open", "the stale success is not the probe's");
    assert.equal(woken, 0);
    assert.equal(breaker.tryAcquire(other, 1200), Infinity, "the probe still holds its slot");
    breaker.release(order, { ok: true, latencyMs: 300 }, 1300); // the probe
    assert.equal(breaker.state, "closed");
    assert.deepEqual(changes, [
      "closed->open:consecutive-failures",
      "open->half-open:half-open",
      "half-open->closed:probe-succeeded",
    ]);
    assert.equal(breaker.stats().successes, 2);
  });

  it("a pre-open attempt with an equal item failing while half-open does not reopen it", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, halfOpenAfterMs: 1000, clock });
    assert.equal(breaker.tryAcquire(7, 0), 0, "started while closed");
    breaker.tryAcquire(1, 0);
    breaker.release(1, fail, 0);
    await clock.advance(1000);
    assert.equal(breaker.tryAcquire(7, 1000), 0, "the probe, an equal primitive");
    breaker.release(7, { ok: false, error: new Error("down"), latencyMs: 1100 }, 1100); // started at 0
    assert.equal(breaker.state, "half-open", "a stale failure is not the probe's outcome");
    assert.equal(breaker.stats().opens, 1);
    assert.equal(breaker.stats().failures, 2, "it still counts as a failure in the stats");
    assert.equal(breaker.tryAcquire(8, 1100), Infinity, "the probe still holds its slot");
    breaker.release(7, { ok: true, latencyMs: 150 }, 1150); // the probe decides
    assert.equal(breaker.state, "closed");
  });

  it("a probe from an earlier half-open spell does not settle the next one", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<string>({ consecutiveFailures: 1, halfOpenAfterMs: 1000, halfOpenProbes: 2, clock });
    breaker.tryAcquire("k", 0);
    breaker.release("k", fail, 0);
    await clock.advance(1000);
    assert.equal(breaker.tryAcquire("k", 1000), 0);
    assert.equal(breaker.tryAcquire("k", 1000), 0);
    breaker.release("k", { ok: false, error: new Error("down"), latencyMs: 100 }, 1100);
    assert.equal(breaker.state, "open", "one probe failed: reopened, the other still runs");
    await clock.advance(1000);
    assert.equal(breaker.tryAcquire("k", 2100), 0, "a probe of the new spell");
    breaker.release("k", { ok: true, latencyMs: 1200 }, 2200); // the old probe, started at 1000
    assert.equal(breaker.state, "half-open");
    breaker.release("k", { ok: false, error: new Error("down"), latencyMs: 150 }, 2250);
    assert.equal(breaker.state, "open", "the new probe's failure reopens it");
    assert.equal(breaker.stats().opens, 3);
  });

  it("a breaker restored half-open lets its probe settle it", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ clock, initialState: { state: "half-open", consecutiveFailures: 0 } });
    assert.equal(breaker.tryAcquire(1, 0), 0, "the probe");
    assert.equal(breaker.tryAcquire(1, 0), Infinity);
    breaker.release(1, { ok: true, latencyMs: 5 }, 3); // a latency measured a little long still counts
    assert.equal(breaker.state, "closed");
  });

  it("holds items while open, admits them after half-open, and fails them past maxWaitMs", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 1, halfOpenAfterMs: 1000, clock });
    breaker.tryAcquire(0, 0);
    breaker.release(0, fail, 0);
    const held = acquire(breaker, 1, { clock, maxWaitMs: 5000 });
    const impatient = acquire(breaker, 2, { clock, maxWaitMs: 300 }).then(
      () => "admitted",
      (e: unknown) => e,
    );
    await clock.advance(300);
    const e = await impatient;
    assert.ok(e instanceof CircuitOpenError);
    assert.equal(e.code, "WEIR_CIRCUIT_OPEN");
    assert.equal(e.retryAfterMs, 700);
    await clock.advance(700);
    await held; // the probe
    assert.equal(breaker.state, "half-open");
    breaker.release(1, ok, clock.now());
    assert.equal(breaker.state, "closed");
    assert.equal(clock.pendingTimers, 0, "no timer left behind");
  });

  it("serializes with toJSON and restores from initialState", async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ consecutiveFailures: 2, halfOpenAfterMs: 1000, clock });
    breaker.tryAcquire(1, 0);
    breaker.release(1, fail, 0);
    assert.deepEqual(breaker.toJSON(), { state: "closed", consecutiveFailures: 1 });
    breaker.tryAcquire(2, 0);
    breaker.release(2, fail, 0);
    await clock.advance(400);
    const saved = JSON.parse(JSON.stringify(breaker)) as ReturnType<typeof breaker.toJSON>;
    assert.deepEqual(saved, { state: "open", consecutiveFailures: 2, halfOpenInMs: 600 });

    const later = new ManualClock(50_000);
    const restored = circuitBreaker<number>({
      consecutiveFailures: 2,
      halfOpenAfterMs: 1000,
      clock: later,
      initialState: saved,
    });
    assert.equal(restored.state, "open");
    assert.equal(restored.tryAcquire(3, later.now()), 600);
    await later.advance(600);
    assert.equal(restored.state, "half-open");

    const closed = circuitBreaker<number>({
      consecutiveFailures: 2,
      clock: later,
      initialState: { state: "closed", consecutiveFailures: 1 },
    });
    closed.tryAcquire(1, later.now());
    closed.release(1, fail, later.now());
    assert.equal(closed.state, "open", "the restored run of failures counts");
  });

  it("is shared: failures from two stages add up", () => {
    const clock = new ManualClock();
    const shared = circuitBreaker<string>({ consecutiveFailures: 2, clock });
    shared.tryAcquire("stage-a", 0);
    shared.release("stage-a", fail, 0);
    shared.tryAcquire("stage-b", 0);
    shared.release("stage-b", fail, 0);
    assert.equal(shared.state, "open");
  });

  it("isolate and reset by hand", () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker<number>({ clock });
    breaker.isolate();
    assert.equal(breaker.tryAcquire(1, 0), Infinity);
    assert.equal(breaker.toJSON().state, "isolated");
    let woken = 0;
    breaker.onChange(() => woken++);
    breaker.reset();
    assert.equal(woken, 1);
    assert.equal(breaker.tryAcquire(1, 0), 0);
  });

  it("validates options and initial state", () => {
    assert.throws(() => circuitBreaker({ consecutiveFailures: 0, failureRatio: 0 }), InvalidOptionError);
    assert.throws(
      () => circuitBreaker({ halfOpenAfterMs: -1 }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "halfOpenAfterMs",
    );
    assert.throws(
      () => circuitBreaker({ initialState: { state: "ajar" as never, consecutiveFailures: 0 } }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "initialState.state",
    );
  });
});
