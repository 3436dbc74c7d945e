import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtime } from "../../src/runtime/createRuntime.js";
import type { HealthCheckResult, HealthReport } from "../../src/runtime/HealthStatus.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { turns } from "../helpers.js";

describe("runtime health", () => {
  it("checks on an interval on the injected clock and reports changes", async () => {
    const clock = new ManualClock();
    let db: HealthCheckResult = "healthy";
    let cacheThrows = false;
    const app = runtime({ clock, healthIntervalMs: 1_000 })
      .component("db", { start: () => "db", health: () => db })
      .component("cache", {
        critical: false,
        start: () => "cache",
        health: () => {
          if (cacheThrows) throw new Error("timeout talking to redis");
          return "healthy";
        },
      })
      .component("plain", { start: () => "no health check" });
    const reports: HealthReport[] = [];
    app.on("runtime:health", (r) => void reports.push(r));
    await app.start();
    assert.equal(app.health(), undefined, "no check before the first interval");
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "healthy");
    assert.equal(app.health()?.components.plain?.status, "healthy");
    cacheThrows = true;
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "degraded", "an optional unhealthy component degrades");
    assert.equal(app.health()?.components.cache?.status, "unhealthy");
    assert.match(app.health()?.components.cache?.detail ?? "", /redis/);
    db = { status: "unhealthy", detail: "replica lag" };
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "unhealthy", "a critical unhealthy component makes it unhealthy");
    db = "degraded";
    cacheThrows = false;
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "degraded");
    await clock.advance(1_000);
    assert.deepEqual(
      reports.map((r) => r.status),
      ["healthy", "degraded", "unhealthy", "degraded"],
      "events only on change",
    );
    await app.stop();
    assert.equal(clock.pendingTimers, 0, "stop() ends the interval");
  });

  it("a health check that hangs times out as unhealthy", async () => {
    const clock = new ManualClock();
    const app = runtime({ clock, healthIntervalMs: 0 }).component("db", {
      start: () => "db",
      healthTimeoutMs: 100,
      health: () => new Promise<HealthCheckResult>(() => {}),
    });
    await app.start();
    const checking = app.checkHealth();
    await turns(1);
    await clock.advance(100);
    const report = await checking;
    assert.equal(report.status, "unhealthy");
    assert.match(report.components.db?.detail ?? "", /timed out/);
    await app.stop();
  });

  it("a failed optional component reports unhealthy and degrades the whole", async () => {
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db" })
      .component("cache", {
        critical: false,
        start: () => {
          throw new Error("down");
        },
      });
    await app.start();
    const report = await app.checkHealth();
    assert.equal(report.status, "degraded");
    assert.equal(report.components.cache?.detail, "not running");
    await app.stop();
  });
});
