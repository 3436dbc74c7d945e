import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ComponentError } from "../../src/errors/ComponentError.js";
import { TimeoutError } from "../../src/errors/TimeoutError.js";
import { runtime } from "../../src/runtime/createRuntime.js";
import { ManualClock } from "../../src/time/ManualClock.js";
import { deferred, turns } from "../helpers.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok?: T): void {}

describe("runtime start-up", () => {
  it("starts in dependency order, passes typed instances to dependents, and exposes them", async () => {
    const log: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("config", { start: () => (log.push("config"), { url: "db://x" }) })
      .component("db", {
        dependsOn: ["config"],
        start: ({ deps }) => {
          expectType<Equals<typeof deps.config, { url: string }>>();
          log.push("db");
          return { url: deps.config.url, queries: 0 };
        },
      })
      .component("http", { dependsOn: ["db"], start: ({ deps }) => (log.push("http"), `serving ${deps.db.url}`) });
    const report = await app.start();
    assert.equal(report.status, "healthy");
    assert.deepEqual(log, ["config", "db", "http"]);
    assert.equal(app.get("http"), "serving db://x");
    expectType<Equals<ReturnType<typeof app.get<"db">>, { url: string; queries: number }>>();
    assert.equal(app.state, "started");
    assert.equal(report.components.db?.status, "started");
    assert.equal(app.start(), app.start(), "start() twice returns the same promise");
    await app.stop();
  });

  it("starts independent components in parallel, under the concurrency cap", async () => {
    let running = 0;
    let peak = 0;
    const slow = async (): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      await turns(2);
      running--;
      return 1;
    };
    let app = runtime({ concurrency: 3, healthIntervalMs: 0 }) as ReturnType<typeof runtime>;
    for (let i = 0; i < 8; i++) app = app.component(`c${i}` as never, { start: slow }) as typeof app;
    await app.start();
    assert.equal(peak, 3);
    await app.stop();
  });

  it("times a start attempt out and retries it on the injected clock", async () => {
    const clock = new ManualClock();
    const attempts: AbortSignal[] = [];
    const app = runtime({ clock, healthIntervalMs: 0 }).component("db", {
      startTimeoutMs: 100,
      retry: { attempts: 2, baseMs: 50, jitter: 0 },
      start: ({ signal, attempt }) => {
        attempts.push(signal);
        return attempt === 1 ? new Promise<string>(() => {}) : "connected";
      },
    });
    const started = app.start();
    await turns(2);
    await clock.advance(100);
    assert.ok(attempts[0]?.aborted && attempts[0].reason instanceof TimeoutError);
    await clock.advance(50);
    const report = await started;
    assert.equal(report.components.db?.attempts, 2);
    assert.equal(app.get("db"), "connected");
    await app.stop();
  });

  it("a critical failure aborts start-up: what started is stopped in reverse order, start() rejects", async () => {
    const stopped: string[] = [];
    const app = runtime({ healthIntervalMs: 0 })
      .component("a", { start: () => "a", stop: () => void stopped.push("a") })
      .component("b", { dependsOn: ["a"], start: () => "b", stop: () => void stopped.push("b") })
      .component("broken", {
        dependsOn: ["b"],
        start: () => {
          throw new Error("no port");
        },
        stop: () => void stopped.push("broken"),
      })
      .component("never", { dependsOn: ["broken"], start: () => "never" });
    await assert.rejects(app.start(), (e: unknown) => {
      assert.ok(e instanceof ComponentError);
      assert.equal(e.code, "WEIR_COMPONENT_FAILED");
      assert.equal(e.component, "broken");
      assert.equal(e.phase, "start");
      assert.equal((e.cause as Error).message, "no port");
      return true;
    });
    assert.deepEqual(stopped, ["b", "a"]);
    assert.equal(app.state, "failed");
    assert.throws(() => app.get("a"), "nothing is running");
  });

  it("an optional failure degrades start-up; its dependents are skipped, others start", async () => {
    const app = runtime({ healthIntervalMs: 0 })
      .component("db", { start: () => "db" })
      .component("cache", {
        critical: false,
        start: () => {
          throw new Error("redis down");
        },
      })
      .component("warmer", { critical: false, dependsOn: ["cache"], start: () => "warm" })
      .component("api", { dependsOn: ["db"], start: () => "api" });
    const failed: string[] = [];
    app.on("component:failed", (e) => void failed.push(`${e.component}:${e.phase}`));
    const report = await app.start();
    assert.equal(report.status, "degraded");
    assert.equal(report.components.cache?.status, "failed");
    assert.equal(report.components.warmer?.status, "skipped");
    assert.equal(report.components.api?.status, "started");
    assert.deepEqual(failed.sort(), ["cache:start", "warmer:start"]);
    await app.stop();
  });

  it("a critical component whose optional dependency failed aborts start-up", async () => {
    const app = runtime({ healthIntervalMs: 0 })
      .component("cache", {
        critical: false,
        start: () => {
          throw new Error("down");
        },
      })
      .component("api", { dependsOn: ["cache"], start: () => "api" });
    await assert.rejects(app.start(), (e: unknown) => {
      assert.ok(e instanceof ComponentError && e.component === "api");
      assert.match((e.cause as Error).message, /dependency "cache" did not start/);
      assert.equal(((e.cause as Error).cause as Error).message, "down");
      return true;
    });
  });

  it("a start that resolves after its timeout is stopped, not leaked", async () => {
    const clock = new ManualClock();
    const late = deferred<string>();
    const stopped: string[] = [];
    const app = runtime({ clock, healthIntervalMs: 0 }).component("slow", {
      critical: false,
      startTimeoutMs: 10,
      start: () => late.promise,
      stop: (instance) => void stopped.push(instance),
    });
    const started = app.start();
    await turns(2);
    await clock.advance(10);
    assert.equal((await started).components.slow?.status, "failed");
    late.resolve("late instance");
    await turns(3);
    assert.deepEqual(stopped, ["late instance"]);
    await app.stop();
  });

  it("validates components where they are added", () => {
    const app = runtime();
    assert.throws(() => app.component("a", { dependsOn: ["missing" as never], start: () => 1 }), {
      code: "WEIR_INVALID_OPTION",
    });
    assert.throws(() => app.component("a", { start: 1 as never }), { code: "WEIR_INVALID_OPTION" });
    assert.throws(() => app.component("a", { start: () => 1, startTimeoutMs: 0 }), { code: "WEIR_INVALID_OPTION" });
    const withA = app.component("a", { start: () => 1 });
    const untyped = withA as unknown as ReturnType<typeof runtime>;
    assert.throws(() => untyped.component("a" as never, { start: () => 2 }), { code: "WEIR_INVALID_OPTION" });
    assert.throws(() => runtime({ concurrency: 0 }), { code: "WEIR_INVALID_OPTION" });
  });

  it("the builder is immutable: component() returns a new runtime and leaves the one it was called on unchanged", async () => {
    const base = runtime({ healthIntervalMs: 0 });
    const withDb = base.component("db", { start: () => "db" });
    const withCache = base.component("cache", { start: () => "cache" });
    const both = withDb.component("cache", { start: () => "cache" });
    assert.notEqual(withDb, base);
    assert.deepEqual(Object.keys((await base.start()).components), []);
    assert.deepEqual(
      Object.keys((await withDb.start()).components),
      ["db"],
      "a sibling builder's component is not in it",
    );
    assert.deepEqual(Object.keys((await withCache.start()).components), ["cache"]);
    assert.deepEqual(Object.keys((await both.start()).components).sort(), ["cache", "db"]);
    for (const app of [base, withDb, withCache, both]) await app.stop();
    assert.throws(
      () => both.component("late", { start: () => 1 }),
      { code: "WEIR_INVALID_OPTION" },
      "a started runtime takes no components",
    );
    assert.throws(() => runtime({ events: {} as never }), { code: "WEIR_INVALID_OPTION" });
  });
});
