import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtime, TimeoutError, type RuntimeEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

describe("start priorities", () => {
  it("among components whose dependencies are met, higher priority starts first", async () => {
    const order: string[] = [];
    const start = (name: string) => (): string => (order.push(name), name);
    const app = runtime({ concurrency: 1, healthIntervalMs: 0 })
      .component("metrics", { start: start("metrics") })
      .component("db", { priority: 10, start: start("db") })
      .component("cache", { priority: 5, start: start("cache") })
      .component("api", { dependsOn: ["db"], priority: 100, start: start("api") });
    await app.start();
    assert.deepEqual(order, ["db", "api", "cache", "metrics"]);
    await app.stop();
  });

  it("validates priority", () => {
    assert.throws(() => runtime().component("a", { priority: Number.NaN, start: () => 1 }), {
      code: "WEIR_INVALID_OPTION",
      option: "priority",
    });
  });
});

describe("shutdown hooks", () => {
  it("run by priority (close listeners, flush, close files), before the components stop, or after", async () => {
    const log: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => ({ rows: 3 }), stop: () => void log.push("stop db") })
      .component("http", { dependsOn: ["db"], start: () => "http", stop: () => void log.push("stop http") })
      .onShutdown("close files", () => void log.push("close files"), { priority: 10, phase: "after-components" })
      .onShutdown("flush buffers", ({ components }) => void log.push(`flush ${components.db?.rows} rows`), {
        priority: 20,
      })
      .onShutdown("close listeners", () => void log.push("close listeners"), { priority: 30 })
      .onShutdown("checkpoint", () => void log.push("checkpoint"), { phase: "after-components" });
    const ends: RuntimeEvents["hook:end"][] = [];
    app.on("hook:end", (e) => void ends.push(e));
    await app.start();
    const report = await app.stop();
    assert.deepEqual(log, ["close listeners", "flush 3 rows", "stop http", "stop db", "close files", "checkpoint"]);
    assert.equal(report.ok, true);
    assert.deepEqual(Object.keys(report.hooks).sort(), [
      "checkpoint",
      "close files",
      "close listeners",
      "flush buffers",
    ]);
    assert.equal(report.hooks["flush buffers"]?.status, "completed");
    assert.equal(ends.length, 4);
    assert.ok(ends.every((e) => e.status === "completed"));
  });

  it("hooks of equal priority run in parallel; the next level waits for them", async () => {
    const gates = { a: deferred(), b: deferred() };
    const active = new Set<string>();
    let overlap = 0;
    let lowRan = false;
    const hook = (name: "a" | "b") => async (): Promise<void> => {
      active.add(name);
      overlap = Math.max(overlap, active.size);
      await gates[name].promise;
      active.delete(name);
    };
    const app = runtime({ healthIntervalMs: 0 })
      .onShutdown("a", hook("a"), { priority: 5 })
      .onShutdown("b", hook("b"), { priority: 5 })
      .onShutdown("low", () => void (lowRan = true), { priority: 1 });
    await app.start();
    const stopping = app.stop();
    await turns(3);
    assert.deepEqual([...active].sort(), ["a", "b"]);
    gates.a.resolve();
    await turns(3);
    assert.equal(lowRan, false, "the lower level waits for the whole level above");
    gates.b.resolve();
    await stopping;
    assert.equal(overlap, 2);
    assert.equal(lowRan, true);
  });

  it("each hook has its own timeout: a hung hook fails with a TimeoutError and the rest still run", async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let hungSignal: AbortSignal | undefined;
    const app = runtime({ clock, healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: () => void log.push("stop db") })
      .onShutdown(
        "hung",
        ({ signal }) => {
          hungSignal = signal;
          return new Promise(() => {});
        },
        { priority: 2, timeoutMs: 300 },
      )
      .onShutdown("flush", () => void log.push("flush"), { priority: 1 });
    await app.start();
    const stopping = app.stop();
    await turns(3);
    assert.deepEqual(log, []);
    await clock.advance(300);
    const report = await stopping;
    assert.deepEqual(log, ["flush", "stop db"]);
    assert.equal(report.ok, false);
    assert.equal(report.hooks.hung?.status, "failed");
    assert.ok(report.hooks.hung?.error instanceof TimeoutError);
    assert.ok(hungSignal?.aborted, "the hook's signal aborted at its timeout");
    assert.equal(report.components.db?.status, "stopped");
  });

  it("all hooks run within the stop's grace period: past it, what is left is abandoned", async () => {
    const clock = new ManualClock();
    let componentStopped = false;
    const app = runtime({ clock, healthIntervalMs: 0 })
      .component("db", { start: () => "db", stop: () => void (componentStopped = true) })
      .onShutdown("slow", () => new Promise(() => {}), { priority: 2, timeoutMs: 60_000 })
      .onShutdown("later", () => undefined, { priority: 1 });
    await app.start();
    const stopping = app.stop({ graceMs: 1_000 });
    await turns(3);
    await clock.advance(1_000);
    const report = await stopping;
    assert.equal(report.hooks.slow?.status, "abandoned");
    assert.equal(report.hooks.later?.status, "abandoned");
    assert.equal(report.components.db?.status, "abandoned");
    assert.equal(componentStopped, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it("a failed start-up runs the hooks; a runtime never started runs none", async () => {
    let ran = 0;
    const failing = runtime({ healthIntervalMs: 0 })
      .component("db", {
        start: () => {
          throw new Error("down");
        },
      })
      .onShutdown("cleanup", () => void ran++);
    await assert.rejects(failing.start(), { code: "WEIR_COMPONENT_FAILED" });
    assert.equal(ran, 1);
    const idle = runtime({ healthIntervalMs: 0 }).onShutdown("cleanup", () => void ran++);
    const report = await idle.stop();
    assert.deepEqual(report.hooks, {});
    assert.equal(ran, 1);
  });

  it("validates hooks where they are added", () => {
    const app = runtime().onShutdown("a", () => {});
    const invalid = (fn: () => unknown, option: string): void =>
      void assert.throws(fn, { code: "WEIR_INVALID_OPTION", option });
    invalid(() => app.onShutdown("a", () => {}), "shutdown hook name");
    invalid(() => app.onShutdown("b", "close" as never), "hook");
    invalid(() => app.onShutdown("b", () => {}, { timeoutMs: 0 }), "timeoutMs");
    invalid(() => app.onShutdown("b", () => {}, { priority: "high" as never }), "priority");
    invalid(() => app.onShutdown("b", () => {}, { phase: "last" as never }), "phase");
    invalid(() => app.onShutdown("b", () => {}, { order: 1 } as never), "order");
  });
});
