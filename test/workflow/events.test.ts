import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { EventBus, workflow, type WorkflowEvents } from "../../src/index.js";
import { turns } from "../helpers.js";

describe("workflow events", () => {
  it("emits start, task events and end, in order, to run.on subscribers", async () => {
    const seen: string[] = [];
    const run = workflow("w")
      .task("a", () => 1)
      .task("b", { after: ["a"] }, () => 2)
      .run();
    run.on("workflow:start", (e) => void seen.push(`start ${e.tasks}`));
    run.on("task:start", (e) => void seen.push(`start:${e.task}#${e.attempt}`));
    run.on("task:end", (e) => void seen.push(`end:${e.task.name}:${e.task.status}`));
    run.on("workflow:end", (e) => void seen.push(`end ${e.state} ${e.ok}`));
    await run;
    assert.deepEqual(seen, [
      "start 2",
      "start:a#1",
      "end:a:completed",
      "start:b#1",
      "end:b:completed",
      "end completed true",
    ]);
  });

  it("reports skipped, cancelled and added tasks", async () => {
    const ends: string[] = [];
    const added: string[] = [];
    const run = workflow("w")
      .task("bad", () => {
        throw new Error("x");
      })
      .task("child", { after: ["bad"] }, () => 1)
      .task("adder", (ctx) => ctx.add("extra", () => 2))
      .run();
    run.on("task:end", (e) => void ends.push(`${e.task.name}:${e.task.status}`));
    run.on("task:added", (e) => void added.push(`${e.addedBy}->${e.task}`));
    await run;
    assert.deepEqual(ends.sort(), ["adder:completed", "bad:failed", "child:skipped", "extra:completed"]);
    assert.deepEqual(added, ["adder->extra"]);
  });

  it("forwards every event to a shared bus too (with its middleware and history)", async () => {
    const bus = new EventBus<WorkflowEvents>({ history: 10 });
    bus.use((type, payload, next) => {
      if (type !== "task:start") next(payload);
    });
    await workflow("w")
      .task("a", () => 1)
      .run({ events: bus });
    assert.deepEqual(
      bus.history().map((e) => e.type),
      ["workflow:start", "task:end", "workflow:end"],
    );
    assert.equal(bus.history("task:end")[0]?.payload.task.name, "a");
  });

  it("no listener leaks: 10,000 runs leave listener counts where they started", async () => {
    const shared = new EventBus<WorkflowEvents>();
    shared.on("workflow:end", () => {});
    const ac = new AbortController();
    const before = { bus: shared.listenerCount(), signal: getEventListeners(ac.signal, "abort").length };
    const wf = workflow("w")
      .task("a", () => 1)
      .task("b", { after: ["a"] }, () => 2);
    let ends = 0;
    for (let i = 0; i < 10_000; i++) {
      const run = wf.run({ signal: ac.signal, events: shared });
      run.on("task:end", () => {}, { signal: ac.signal });
      run.on("workflow:end", () => void ends++);
      await run;
    }
    assert.equal(ends, 10_000);
    assert.equal(shared.listenerCount(), before.bus);
    assert.equal(getEventListeners(ac.signal, "abort").length, before.signal);
  });

  it("a subscription made after the run ended is inert", async () => {
    const run = workflow("w")
      .task("a", () => 1)
      .run();
    await run;
    const off = run.on("task:end", () => assert.fail("never"));
    off();
  });

  it("a throwing handler does not disturb the run", async () => {
    const errors: unknown[] = [];
    const bus = new EventBus<WorkflowEvents>({ onHandlerError: (e) => void errors.push(e) });
    bus.on("task:end", () => {
      throw new Error("handler bug");
    });
    const r = await workflow("w")
      .task("a", () => 1)
      .run({ events: bus });
    assert.equal(r.ok, true);
    assert.equal(errors.length, 1);
  });

  it("a throwing onHandlerError hook cannot hang the run: it settles, and the hook's error becomes a warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const bus = new EventBus<WorkflowEvents>({
        onHandlerError: () => {
          throw new Error("hook bug");
        },
      });
      bus.on("task:end", () => {
        throw new Error("handler bug");
      });
      const run = workflow("w")
        .task("a", () => 1)
        .task("b", { after: ["a"] }, () => 2)
        .run({ events: bus });
      let settled = false;
      void run.then(() => (settled = true));
      await turns(5);
      assert.equal(settled, true, "the run settled");
      const r = await run;
      assert.equal(r.ok, true);
      assert.deepEqual(Object.keys(r.results).sort(), ["a", "b"]);
      assert.equal(warnings.filter((w) => w.name === "WeirEventWarning" && /hook bug/.test(w.message)).length, 2);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
