import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { runtime, type SignalTarget } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

describe("starting a stopped runtime starts it again, from a clean state", () => {
  it("start, stop, start: new instances, a new report, the new instances stopped by the next stop", async () => {
    let connections = 0;
    const closed: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => `db#${++connections}`, stop: (db) => void closed.push(db) })
      .component("api", {
        dependsOn: ["db"],
        start: ({ deps }) => `api on ${deps.db}`,
        stop: (api) => void closed.push(api),
      });
    const started: string[] = [];
    app.on("component:started", (e) => void started.push(e.component));
    const first = await app.start();
    assert.equal(app.get("api"), "api on db#1");
    await app.stop();
    assert.equal(app.state, "stopped");
    assert.throws(() => app.get("db"), { code: "WEIR_INVALID_OPTION" }, "nothing runs after stop()");

    const second = await app.start();
    assert.notEqual(second, first, "a new report, not the cached one");
    assert.equal(app.state, "started");
    assert.equal(app.get("api"), "api on db#2");
    assert.equal(second.components.db?.status, "started");
    assert.equal(app.start(), app.start(), "while started, start() returns the same promise");
    const stop = await app.stop();
    assert.equal(stop.ok, true);
    assert.deepEqual(closed, ["api on db#1", "db#1", "api on db#2", "db#2"]);
    assert.deepEqual(started, ["db", "api", "db", "api"]);
  });

  it("start() during a stop waits for the stop to finish, then starts again", async () => {
    const gate = deferred();
    let n = 0;
    const app = runtime({ healthIntervalMs: 0 }).component("db", {
      start: () => ++n,
      stop: () => gate.promise,
    });
    await app.start();
    const stopping = app.stop();
    await turns(2);
    assert.equal(app.state, "stopping");
    const restarting = app.start();
    await turns(2);
    assert.equal(n, 1, "nothing starts before the stop is complete");
    gate.resolve();
    await stopping;
    const report = await restarting;
    assert.equal(report.status, "healthy");
    assert.equal(app.get("db"), 2);
    assert.equal(app.state, "started");
    await app.stop();
  });

  it("after a failed start-up, start() tries again from scratch", async () => {
    let attempts = 0;
    const app = runtime({ healthIntervalMs: 0 }).component("db", {
      start: () => {
        if (++attempts === 1) throw new Error("refused");
        return "db";
      },
    });
    await assert.rejects(app.start(), { code: "WEIR_COMPONENT_FAILED" });
    assert.equal(app.state, "failed");
    const report = await app.start();
    assert.equal(report.components.db?.status, "started");
    assert.equal(report.components.db?.attempts, 1, "the failed start-up's attempts are forgotten");
    assert.equal(app.get("db"), "db");
    await app.stop();
  });

  it("health and signal listeners belong to one start: forgotten, then installed again", async () => {
    const clock = new ManualClock();
    const target = new EventEmitter() as EventEmitter & SignalTarget;
    const app = runtime({ clock, healthIntervalMs: 1_000, signals: { target } }).component("db", {
      start: () => "db",
      health: () => "healthy",
    });
    await app.start();
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "healthy");
    await app.stop();
    assert.equal(target.listenerCount("SIGTERM"), 0);
    assert.equal(clock.pendingTimers, 0);
    await app.start();
    assert.equal(app.health(), undefined, "no check yet in this start");
    assert.equal(target.listenerCount("SIGTERM"), 1);
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "healthy", "the interval runs again");
    target.emit("SIGTERM", "SIGTERM");
    await turns(3);
    assert.equal(app.state, "stopped");
    assert.equal(target.listenerCount("SIGTERM"), 0);
    assert.equal(clock.pendingTimers, 0);
  });
});
