import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EventBus,
  InvalidOptionError,
  pipeline,
  runtime,
  workflow,
  type RunEvents,
  type RuntimeEvents,
  type WorkflowEvents,
} from "../../src/index.js";

type AllEvents = RunEvents & WorkflowEvents & RuntimeEvents;

describe("subscribing to one sender on a shared bus", () => {
  it("two runs of one pipeline on one bus: { sender: run } gets that run's events only", async () => {
    const bus = new EventBus<AllEvents>({ history: 100 });
    const p = pipeline<number>("numbers")
      .from([1, 2, 3])
      .map((x) => x * 2, { name: "double" })
      .to(() => {}, { name: "sink" });
    const a = p.run({ events: bus });
    const b = p.run({ events: bus });
    const fromA: string[] = [];
    const fromB: string[] = [];
    const all: string[] = [];
    bus.on("stage:end", (e) => void fromA.push(e.stage), { sender: a });
    bus.on("stage:end", (e) => void fromB.push(e.stage), { sender: b });
    bus.on("stage:end", (e) => void all.push(e.stage));
    let ends = 0;
    bus.on("run:end", () => void ends++, { sender: a });
    await Promise.all([a, b]);
    assert.ok(fromA.includes("double") && fromA.includes("sink"), fromA.join());
    assert.deepEqual(fromA.sort(), fromB.sort(), "each filter saw one run's stages");
    assert.equal(all.length, 2 * fromA.length, "an unfiltered handler saw both runs");
    assert.equal(ends, 1, "one run:end: a's");
    const recorded = bus.history("run:end");
    assert.equal(recorded.length, 2);
    assert.deepEqual(new Set(recorded.map((r) => r.sender)), new Set([a, b]), "history records each event's sender");
  });

  it("workflow runs and a runtime are senders too; a filter on one never sees the others", async () => {
    const bus = new EventBus<AllEvents>();
    const wf = workflow("w").task("a", () => 1);
    const r1 = wf.run({ events: bus });
    const r2 = wf.run({ events: bus });
    const seen: unknown[] = [];
    bus.on("workflow:end", () => void seen.push(r2), { sender: r2 });
    await Promise.all([r1, r2]);
    assert.deepEqual(seen, [r2]);

    const app = runtime({ events: bus, healthIntervalMs: 0 }).component("db", { start: () => "db" });
    const other = runtime({ events: bus, healthIntervalMs: 0 }).component("cache", { start: () => "cache" });
    const started: string[] = [];
    bus.on("component:started", (e) => void started.push(e.component), { sender: app });
    await app.start();
    await other.start();
    assert.deepEqual(started, ["db"]);
    await app.stop();
    await other.stop();
  });

  it("once counts only matching events; a bus's own sender option and emit's sender argument set the sender", () => {
    const shared = new EventBus<{ tick: { readonly n: number } }>();
    const left = {};
    const right = {};
    const own = new EventBus<{ tick: { readonly n: number } }>({ forward: shared, sender: left });
    const got: number[] = [];
    shared.on("tick", (e) => void got.push(e.n), { sender: right, once: true });
    own.emit("tick", { n: 1 }); // from left
    shared.emit("tick", { n: 2 }); // no sender: never matches a filter
    own.emit("tick", { n: 3 }, right); // an explicit sender wins over the bus's own
    shared.emit("tick", { n: 4 }, right); // once: already unsubscribed
    assert.deepEqual(got, [3]);
    assert.equal(shared.listenerCount("tick"), 0);
  });

  it("rejects unknown or invalid subscribe options, on a bus and through run.on / app.on", () => {
    const bus = new EventBus<AllEvents>();
    const check = (fn: () => unknown, option: string): void =>
      void assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof InvalidOptionError, String(e));
        assert.equal(e.option, option);
        return true;
      });
    check(() => bus.on("run:end", () => {}, { sendr: {} } as never), "sendr");
    check(() => bus.on("run:end", () => {}, { sender: "run-1" } as never), "sender");
    check(() => bus.on("run:end", () => {}, { once: "yes" } as never), "once");
    check(() => bus.on("run:end", () => {}, { signal: {} } as never), "signal");
    check(() => bus.on("run:end", "log" as never), "handler");
    check(() => bus.on("run:end", () => {}, 5 as never), "options");
    assert.equal(bus.listenerCount(), 0, "a refused subscription subscribes nothing");
    const run = pipeline<number>("p")
      .from([1])
      .to(() => {})
      .run();
    check(() => run.on("run:end", () => {}, { filter: () => true } as never), "filter");
    const app = runtime({ healthIntervalMs: 0 });
    check(() => app.on("component:started", () => {}, { senders: [] } as never), "senders");
    return run.then(() => undefined);
  });
});
