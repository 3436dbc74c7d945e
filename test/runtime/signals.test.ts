import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { runtime } from "../../src/runtime/createRuntime.js";
import type { SignalTarget } from "../../src/runtime/RuntimeOptions.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { turns } from "../helpers.js";

/** A stand-in for `process` (so the test sends no real signal). */
function fakeProcess(): EventEmitter & SignalTarget {
  return new EventEmitter() as EventEmitter & SignalTarget;
}

describe("runtime signal handling", () => {
  it("SIGTERM stops the runtime gracefully; listeners are added by start() and removed by stop()", async () => {
    const target = fakeProcess();
    const stopped: string[] = [];
    const app = runtime({ healthIntervalMs: 0, signals: { target, graceMs: 500 } }).component("db", {
      start: () => "db",
      stop: () => void stopped.push("db"),
    });
    assert.equal(target.listenerCount("SIGTERM"), 0);
    await app.start();
    assert.equal(target.listenerCount("SIGINT"), 1);
    assert.equal(target.listenerCount("SIGTERM"), 1);
    const signals: string[] = [];
    app.on("runtime:signal", (e) => void signals.push(`${e.signal}/${e.graceMs}`));
    target.emit("SIGTERM", "SIGTERM");
    const report = await app.stop();
    assert.equal(report.ok, true);
    assert.deepEqual(stopped, ["db"]);
    assert.deepEqual(signals, ["SIGTERM/500"]);
    assert.equal(target.listenerCount("SIGINT"), 0);
    assert.equal(target.listenerCount("SIGTERM"), 0);
  });

  it("the grace period bounds a signal-triggered stop", async () => {
    const target = fakeProcess();
    const clock = new ManualClock();
    const app = runtime({
      clock,
      healthIntervalMs: 0,
      signals: { target, graceMs: 100, signals: ["SIGINT"] },
    }).component("stuck", { start: () => 1, stop: () => new Promise(() => {}) });
    await app.start();
    target.emit("SIGINT", "SIGINT");
    await turns(2);
    await clock.advance(100);
    const report = await app.stop();
    assert.equal(report.components.stuck?.status, "abandoned");
    assert.equal(target.listenerCount("SIGINT"), 0);
  });

  it("a failed start-up removes its signal listeners too", async () => {
    const target = fakeProcess();
    const app = runtime({ healthIntervalMs: 0, signals: { target } }).component("bad", {
      start: () => {
        throw new Error("x");
      },
    });
    await assert.rejects(app.start());
    assert.equal(target.listenerCount("SIGINT") + target.listenerCount("SIGTERM"), 0);
  });

  it("signals: true installs on process with the defaults, and stop() removes them", async () => {
    const before = process.listenerCount("SIGTERM");
    const app = runtime({ healthIntervalMs: 0, signals: true }).component("a", { start: () => 1 });
    await app.start();
    assert.equal(process.listenerCount("SIGTERM"), before + 1);
    await app.stop();
    assert.equal(process.listenerCount("SIGTERM"), before);
  });

  it("a second signal during the grace period abandons what is still stopping at once; listeners stay until the stop is done", async () => {
    const target = fakeProcess();
    const clock = new ManualClock();
    const stopped: string[] = [];
    const app = runtime({ clock, healthIntervalMs: 0, signals: { target, graceMs: 10_000 } })
      .component("db", {
        start: () => "db",
        stopTimeoutMs: 60_000,
        stop: () => (stopped.push("db"), new Promise(() => {})),
      })
      .component("api", { dependsOn: ["db"], start: () => "api", stop: () => void stopped.push("api") });
    await app.start();
    const signals: string[] = [];
    app.on("runtime:signal", (e) => void signals.push(`${e.signal}/${e.graceMs}`));
    target.emit("SIGINT", "SIGINT");
    await turns(3);
    assert.equal(app.state, "stopping");
    assert.deepEqual(stopped, ["api", "db"], "api stopped, db's stop hangs");
    assert.equal(
      target.listenerCount("SIGINT"),
      1,
      "still listening while stopping: a second Ctrl-C must not kill the process mid-stop",
    );
    const stopping = app.stop();
    let done = false;
    void stopping.then(() => (done = true));
    await turns(3);
    assert.equal(done, false, "waiting for db within the grace period");
    target.emit("SIGINT", "SIGINT");
    await turns(3);
    assert.equal(done, true, "the second signal ended the stop without waiting for the grace period");
    const report = await stopping;
    assert.equal(report.components.api?.status, "stopped");
    assert.equal(report.components.db?.status, "abandoned");
    assert.deepEqual(signals, ["SIGINT/10000", "SIGINT/0"]);
    assert.equal(app.state, "stopped");
    assert.equal(
      target.listenerCount("SIGINT") + target.listenerCount("SIGTERM"),
      0,
      "after the stop, Node's default behaviour is back",
    );
    assert.equal(clock.pendingTimers, 0);
  });

  it("a signal during a stop() called by code also gives up the grace period", async () => {
    const target = fakeProcess();
    const clock = new ManualClock();
    const app = runtime({ clock, healthIntervalMs: 0, signals: { target, graceMs: 10_000 } }).component("db", {
      start: () => "db",
      stop: () => new Promise(() => {}),
    });
    await app.start();
    const stopping = app.stop({ graceMs: 5_000 });
    await turns(2);
    target.emit("SIGTERM", "SIGTERM");
    const report = await stopping;
    assert.equal(report.components.db?.status, "abandoned");
    assert.equal(target.listenerCount("SIGTERM"), 0);
  });
});
