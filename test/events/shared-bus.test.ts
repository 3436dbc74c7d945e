import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { EventBus } from "../../src/events/EventBus.js";
import { pipeline } from "../../src/pipeline/pipeline.js";
import type { RunEvents } from "../../src/run/RunEvents.js";
import { workflow } from "../../src/workflow/createWorkflow.js";
import type { WorkflowEvents } from "../../src/workflow/results/WorkflowEvents.js";

type AllEvents = RunEvents & WorkflowEvents;

describe("one event bus for pipelines and workflows", () => {
  it("a shared bus receives pipeline and workflow events, through its middleware and into its history", async () => {
    const bus = new EventBus<AllEvents>({ history: 100 });
    const seen: string[] = [];
    bus.use((type, payload, next) => {
      seen.push(type);
      if (type === "stage:end" || type === "task:start") return; // dropped by middleware
      next(payload);
    });
    const ends: string[] = [];
    bus.on("run:end", (e) => void ends.push(`pipeline ${e.pipeline} ok=${e.ok}`));
    bus.on("workflow:end", (e) => void ends.push(`workflow ${e.workflow} ${e.state}`));

    const result = await pipeline<number>("numbers")
      .from([1, 2, 3])
      .map((x) => x * 2)
      .to(() => {})
      .run({ events: bus });
    assert.equal(result.sourceItems, 3);
    const r = await workflow("wf")
      .task("a", () => 1)
      .task("b", { after: ["a"] }, ({ results }) => results.a + 1)
      .run({ events: bus });
    assert.equal(r.ok, true);

    assert.deepEqual(ends, ["pipeline numbers ok=true", "workflow wf completed"]);
    const types = bus.history().map((e) => e.type);
    assert.ok(types.includes("run:start") && types.includes("run:end"), "pipeline events are in the history");
    assert.ok(types.includes("workflow:start") && types.includes("task:end"), "workflow events are in the history");
    assert.ok(seen.includes("stage:end") && seen.includes("task:start"), "middleware saw both kinds");
    assert.ok(!types.includes("stage:end") && !types.includes("task:start"), "what middleware dropped is not recorded");
    assert.equal(bus.history("run:end")[0]?.payload.pipeline, "numbers");
    assert.equal(bus.history("task:end").length, 2);
    // history keeps emission order across both kinds of run
    assert.ok(types.indexOf("run:end") < types.indexOf("workflow:start"));
  });

  it("rejects an events option that is not an EventBus, when the run is made", () => {
    assert.throws(
      () =>
        pipeline<number>("p")
          .from([1])
          .to(() => {})
          .run({ events: {} as never }),
      { code: "WEIR_INVALID_OPTION", option: "events" },
    );
    assert.throws(
      () =>
        workflow("w")
          .task("a", () => 1)
          .run({ events: 1 as never }),
      { code: "WEIR_INVALID_OPTION", option: "events" },
    );
  });

  it("no listener leaks: 10,000 pipeline runs leave the shared bus's and the signal's listener counts where they started", async () => {
    const shared = new EventBus<AllEvents>();
    shared.on("run:end", () => {});
    let ends = 0;
    shared.on("run:end", () => void ends++);
    const ac = new AbortController();
    const before = { bus: shared.listenerCount(), signal: getEventListeners(ac.signal, "abort").length };
    const p = pipeline<number>("p")
      .from([1, 2])
      .to(() => {});
    for (let i = 0; i < 10_000; i++) {
      const run = p.run({ signal: ac.signal, events: shared });
      run.on("stage:end", () => {}, { signal: ac.signal });
      await run;
    }
    assert.equal(ends, 10_000);
    assert.equal(shared.listenerCount(), before.bus);
    assert.equal(getEventListeners(ac.signal, "abort").length, before.signal);
  });
});
