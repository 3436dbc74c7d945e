import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtime, type HealthCheckResult, type RuntimeEvents } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

type Logged = { [K in keyof RuntimeEvents]: [K, RuntimeEvents[K]] }[keyof RuntimeEvents];

/** Records the runtime's healing and life-cycle events as short strings. */
function record(app: { on: <K extends keyof RuntimeEvents>(t: K, h: (e: RuntimeEvents[K]) => void) => unknown }): {
  log: string[];
  events: Logged[];
} {
  const log: string[] = [];
  const events: Logged[] = [];
  app.on("component:unhealthy", (e) => {
    events.push(["component:unhealthy", e]);
    log.push(`unhealthy ${e.component} x${e.failures} -> ${e.action}`);
  });
  app.on("component:restarting", (e) => {
    events.push(["component:restarting", e]);
    log.push(`restarting ${e.component} #${e.attempt} in ${e.delayMs}ms (${e.cause})`);
  });
  app.on("component:restarted", (e) => void log.push(`restarted ${e.component} #${e.attempt}`));
  app.on("component:stopped", (e) => void log.push(`stopped ${e.component}`));
  app.on("component:started", (e) => void log.push(`started ${e.component}`));
  app.on("component:failed", (e) => void log.push(`failed ${e.component} ${e.phase}`));
  app.on("component:gave-up", (e) => {
    events.push(["component:gave-up", e]);
    log.push(`gave up ${e.component} after ${e.attempts} (running: ${e.running})`);
  });
  return { log, events };
}

describe("self-healing components, on the injected clock", () => {
  it('"restart": after N unhealthy checks in a row it stops and starts the component again', async () => {
    const clock = new ManualClock();
    let health: HealthCheckResult = "healthy";
    let n = 0;
    const stopped: string[] = [];
    const app = runtime({ clock, healthIntervalMs: 1_000 }).component("db", {
      start: () => `db#${++n}`,
      stop: (db) => void stopped.push(db),
      health: () => health,
      onUnhealthy: { action: "restart", after: 2 },
    });
    const { log } = record(app);
    await app.start();
    log.length = 0;
    health = { status: "unhealthy", detail: "no pong" };
    await clock.advance(1_000);
    assert.deepEqual(log, [], "one failed check is not enough");
    health = "degraded";
    await clock.advance(1_000);
    health = "unhealthy";
    await clock.advance(1_000);
    assert.deepEqual(log, [], "a check that did not fail started the count again");
    health = "unhealthy";
    await clock.advance(1_000);
    assert.deepEqual(log, [
      "unhealthy db x2 -> restart",
      "restarting db #1 in 0ms (db)",
      "stopped db",
      "started db",
      "restarted db #1",
    ]);
    assert.deepEqual(stopped, ["db#1"]);
    assert.equal(app.get("db"), "db#2");
    health = "healthy";
    await clock.advance(1_000);
    assert.equal(app.health()?.status, "healthy");
    await app.stop();
    assert.deepEqual(stopped, ["db#1", "db#2"]);
    assert.equal(clock.pendingTimers, 0);
  });

  it("restarts in a row back off and are capped; then it gives up and heals no more", async () => {
    const clock = new ManualClock();
    let n = 0;
    const app = runtime({ clock, healthIntervalMs: 1_000 }).component("db", {
      critical: true,
      start: () => {
        if (++n > 1) throw new Error(`refused #${n}`);
        return "db";
      },
      health: () => "unhealthy",
      onUnhealthy: { action: "restart", after: 1, restarts: { attempts: 3, baseMs: 500, jitter: 0 } },
    });
    const { log, events } = record(app);
    await app.start();
    log.length = 0;
    await clock.advance(1_000); // check 1 fails: restart #1 at once, its start fails
    assert.deepEqual(log, [
      "unhealthy db x1 -> restart",
      "restarting db #1 in 0ms (db)",
      "stopped db",
      "failed db start",
      "restarting db #2 in 500ms (db)",
    ]);
    await clock.advance(499);
    assert.equal(log.length, 5, "the backoff holds the next restart");
    await clock.advance(1);
    assert.deepEqual(log.slice(5), ["failed db start", "restarting db #3 in 1000ms (db)"]);
    await clock.advance(1_000);
    assert.deepEqual(log.slice(7), ["failed db start", "gave up db after 3 (running: false)"]);
    const gaveUp = events.find((e) => e[0] === "component:gave-up")!;
    assert.match(String((gaveUp[1] as RuntimeEvents["component:gave-up"]).error), /refused #4/);
    assert.equal(n, 4);
    await clock.advance(10_000);
    assert.equal(n, 4, "no restart after giving up");
    assert.equal(app.health()?.status, "unhealthy", "a critical component that is down makes it unhealthy");
    assert.equal(app.health()?.components.db?.detail, "not running");
    await app.stop();
  });

  it("a restart that runs but stays unhealthy counts too: the next one backs off, and a passed check resets it", async () => {
    const clock = new ManualClock();
    let health: HealthCheckResult = "unhealthy";
    const app = runtime({ clock, healthIntervalMs: 1_000 }).component("db", {
      start: () => "db",
      health: () => health,
      onUnhealthy: { action: "restart", after: 1, restarts: { attempts: 5, baseMs: 300, jitter: 0 } },
    });
    const { log } = record(app);
    await app.start();
    await clock.advance(1_000);
    await clock.advance(1_000);
    const restarting = log.filter((l) => l.startsWith("restarting"));
    assert.deepEqual(restarting, ["restarting db #1 in 0ms (db)", "restarting db #2 in 300ms (db)"]);
    await clock.advance(300);
    health = "healthy";
    await clock.advance(1_000);
    health = "unhealthy";
    await clock.advance(1_000);
    assert.equal(
      log.filter((l) => l.startsWith("restarting")).at(-1),
      "restarting db #1 in 0ms (db)",
      "a passed check forgot the restarts in a row",
    );
    await app.stop();
  });

  it('"restart-dependents": dependents stop first and start after, with the new instance; others are untouched', async () => {
    const clock = new ManualClock();
    let dbHealth: HealthCheckResult = "healthy";
    let n = 0;
    const app = runtime({ clock, healthIntervalMs: 1_000 })
      .component("db", {
        start: () => `db#${++n}`,
        stop: () => undefined,
        health: () => dbHealth,
        onUnhealthy: { action: "restart-dependents", after: 1 },
      })
      .component("cache", { start: () => "cache", stop: () => undefined })
      .component("repo", { dependsOn: ["db"], start: ({ deps }) => `repo on ${deps.db}`, stop: () => undefined })
      .component("http", {
        dependsOn: ["repo", "cache"],
        start: ({ deps }) => `http on ${deps.repo}`,
        stop: () => undefined,
      });
    const { log } = record(app);
    await app.start();
    log.length = 0;
    dbHealth = "unhealthy";
    await clock.advance(1_000);
    assert.deepEqual(log, [
      "unhealthy db x1 -> restart-dependents",
      "restarting db #1 in 0ms (db)",
      "restarting repo #1 in 0ms (db)",
      "restarting http #1 in 0ms (db)",
      "stopped http",
      "stopped repo",
      "stopped db",
      "started db",
      "restarted db #1",
      "started repo",
      "restarted repo #1",
      "started http",
      "restarted http #1",
    ]);
    assert.equal(app.get("http"), "http on repo on db#2");
    assert.equal(app.get("cache"), "cache");
    await app.stop();
  });

  it('"stop-runtime": the runtime stops (and its hooks run)', async () => {
    const clock = new ManualClock();
    let hooked = false;
    const app = runtime({ clock, healthIntervalMs: 1_000 })
      .component("db", {
        start: () => "db",
        health: () => {
          throw new Error("connection reset");
        },
        onUnhealthy: "stop-runtime",
      })
      .onShutdown("flush", () => void (hooked = true));
    const { events } = record(app);
    await app.start();
    await clock.advance(3_000);
    await turns(3);
    assert.equal(app.state, "stopped");
    assert.equal(hooked, true);
    assert.deepEqual(events[0], [
      "component:unhealthy",
      { component: "db", failures: 3, detail: "connection reset", action: "stop-runtime" },
    ]);
    assert.equal(clock.pendingTimers, 0);
  });

  it("stop() during a restart ends it: the backoff is cancelled, a start that completes late is stopped", async () => {
    const clock = new ManualClock();
    const late = deferred<string>();
    let n = 0;
    const stopped: string[] = [];
    const app = runtime({ clock, healthIntervalMs: 1_000 }).component("db", {
      start: () => (++n === 1 ? "db#1" : late.promise),
      stop: (db) => void stopped.push(db),
      health: () => "unhealthy",
      onUnhealthy: { action: "restart", after: 1 },
    });
    await app.start();
    await clock.advance(1_000); // restart #1: db#1 stopped, the new start hangs
    assert.deepEqual(stopped, ["db#1"]);
    const report = await app.stop();
    assert.equal(report.ok, true);
    assert.deepEqual(report.components, {}, "nothing was running to stop");
    late.resolve("db#2");
    await turns(3);
    assert.deepEqual(stopped, ["db#1", "db#2"], "the late instance was stopped, not leaked");
    assert.equal(clock.pendingTimers, 0);
  });

  it("a check that began before a restart does not count against the new instance", async () => {
    const clock = new ManualClock();
    const slow = deferred<HealthCheckResult>();
    let checks = 0;
    let n = 0;
    const app = runtime({ clock, healthIntervalMs: 0 }).component("db", {
      start: () => `db#${++n}`,
      health: () => (++checks === 1 ? slow.promise : "unhealthy"),
      healthTimeoutMs: 60_000,
      onUnhealthy: { action: "restart", after: 1 },
    });
    const { log } = record(app);
    await app.start();
    const stale = app.checkHealth(); // on db#1, answers late
    await turns(2);
    await app.checkHealth(); // unhealthy: restart
    await turns(3);
    assert.equal(app.get("db"), "db#2");
    slow.resolve("unhealthy");
    await stale;
    await turns(3);
    assert.equal(log.filter((l) => l.startsWith("restarting")).length, 1, "the stale report was not counted");
    assert.equal(app.get("db"), "db#2");
    await app.stop();
  });

  it("validates onUnhealthy", () => {
    const invalid = (spec: object, option: string): void =>
      void assert.throws(() => runtime().component("db", { start: () => 1, ...spec }), {
        code: "WEIR_INVALID_OPTION",
        option,
      });
    invalid({ onUnhealthy: "restart" }, "onUnhealthy"); // no health check to fail
    invalid({ health: () => "healthy", onUnhealthy: "reboot" }, "onUnhealthy.action");
    invalid({ health: () => "healthy", onUnhealthy: { action: "restart", after: 0 } }, "onUnhealthy.after");
    invalid({ health: () => "healthy", onUnhealthy: { action: "stop-runtime", restarts: 3 } }, "onUnhealthy.restarts");
    invalid(
      { health: () => "healthy", onUnhealthy: { action: "restart", restarts: { tries: 3 } } },
      "onUnhealthy.restarts.tries",
    );
    invalid({ health: () => "healthy", onUnhealthy: { action: "restart", when: 1 } }, "onUnhealthy.when");
  });
});
