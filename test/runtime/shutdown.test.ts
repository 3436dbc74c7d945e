import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError } from "../../src/errors/CancelledError.js";
import { ComponentError } from "../../src/errors/ComponentError.js";
import { runtime } from "../../src/runtime/createRuntime.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { deferred, turns } from "../helpers.js";

describe("runtime shutdown", () => {
  it("stops in reverse dependency order; independent components in parallel", async () => {
    const log: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: () => void log.push("db") })
      .component("cache", { start: () => "cache", stop: () => void log.push("cache") })
      .component("api", { dependsOn: ["db", "cache"], start: () => "api", stop: () => void log.push("api") })
      .component("metrics", { dependsOn: ["api"], start: () => "m", stop: () => void log.push("metrics") });
    await app.start();
    const report = await app.stop();
    assert.equal(report.ok, true);
    assert.deepEqual(log.slice(0, 2), ["metrics", "api"]);
    assert.deepEqual(log.slice(2).sort(), ["cache", "db"]);
    assert.equal(app.state, "stopped");
    assert.equal(report.components.db?.status, "stopped");
  });

  it("independent components really stop in parallel: their stops overlap", async () => {
    const gates = { db: deferred(), cache: deferred() };
    const active = new Set<string>();
    let overlap = 0;
    const stopper = (name: "db" | "cache") => async (): Promise<void> => {
      active.add(name);
      overlap = Math.max(overlap, active.size);
      await gates[name].promise;
      active.delete(name);
    };
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: stopper("db") })
      .component("cache", { start: () => "cache", stop: stopper("cache") });
    await app.start();
    const stopping = app.stop();
    await turns(2);
    assert.deepEqual([...active].sort(), ["cache", "db"], "both stops are in progress at once");
    gates.db.resolve();
    gates.cache.resolve();
    const report = await stopping;
    assert.equal(report.ok, true);
    assert.equal(overlap, 2);
  });

  it("isolates each step: a failing stop is reported, the rest still stop", async () => {
    const log: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: () => void log.push("db") })
      .component("api", {
        dependsOn: ["db"],
        start: () => "api",
        stop: () => {
          throw new Error("close failed");
        },
      });
    await app.start();
    const report = await app.stop();
    assert.equal(report.ok, false);
    assert.equal(report.components.api?.status, "failed");
    assert.ok(report.components.api?.error instanceof ComponentError);
    assert.deepEqual(log, ["db"], "db still stopped after api's stop failed");
  });

  it("calling stop() twice is safe and returns the same promise", async () => {
    let stops = 0;
    const app = runtime({ healthIntervalMs: 0 }).component("a", { start: () => 1, stop: () => void stops++ });
    await app.start();
    const first = app.stop();
    assert.equal(app.stop(), first);
    await first;
    await app.stop();
    assert.equal(stops, 1);
  });

  it("a stop that hangs times out; after the grace period the rest are abandoned", async () => {
    const clock = new ManualClock();
    const stopSignals: AbortSignal[] = [];
    const app = runtime({ clock, healthIntervalMs: 0 })
      .component("db", { start: () => "db", stopTimeoutMs: 1_000, stop: () => new Promise(() => {}) })
      .component("api", {
        dependsOn: ["db"],
        start: () => "api",
        stopTimeoutMs: 50,
        stop: (_i, { signal }) => {
          stopSignals.push(signal);
          return new Promise(() => {});
        },
      });
    await app.start();
    const stopping = app.stop({ graceMs: 200 });
    await turns(2);
    await clock.advance(50);
    assert.equal(stopSignals[0]?.aborted, true, "api's stop timed out");
    await clock.advance(150);
    const report = await stopping;
    assert.equal(report.components.api?.status, "failed");
    assert.equal(report.components.db?.status, "abandoned");
    assert.equal(clock.pendingTimers, 0);
  });

  it("stop() during start-up interrupts it and stops what had started", async () => {
    const gate = deferred<string>();
    const stopped: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: () => void stopped.push("db") })
      .component("slow", {
        start: ({ signal }) => (signal.addEventListener("abort", () => gate.reject(signal.reason)), gate.promise),
      })
      .component("api", { dependsOn: ["db", "slow"], start: () => "api" });
    const starting = app.start();
    await turns(2);
    const report = await app.stop();
    await assert.rejects(starting, CancelledError);
    assert.deepEqual(stopped, ["db"]);
    assert.deepEqual(Object.keys(report.components), ["db"]);
    assert.equal(app.state, "stopped");
  });

  it("stop() before start() resolves with nothing to do; a later start() starts it (a stopped runtime starts again)", async () => {
    const app = runtime({ healthIntervalMs: 0 }).component("a", { start: () => 1 });
    const report = await app.stop();
    assert.deepEqual(report.components, {});
    assert.equal(app.state, "stopped");
    assert.equal((await app.start()).components.a?.status, "started");
    assert.equal(app.get("a"), 1);
    await app.stop();
  });
});
