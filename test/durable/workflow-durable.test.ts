/**
 * Durable workflows: a run row and one row per completed task; a resume runs only what has no
 * stored result; dynamic tasks are recorded; a changed definition is refused (resume and reuse)
 * unless forced; a result the store cannot carry fails its task before it is marked done.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore, workflow, WeirError, type Store } from "../../src/index.js";
import { sqliteStore } from "../../src/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "weir-durable-wf-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const stores: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: join(dir, `wf-${files++}.db`) }),
};

for (const [kind, open] of Object.entries(stores)) {
  describe(`durable workflow (${kind} store)`, () => {
    it("writes a run row and a row per completed task", async () => {
      await using store = open();
      const wf = workflow("nightly")
        .task("a", () => 1)
        .task("b", { after: ["a"] }, ({ results }) => results.a + 1)
        .task("c", { after: ["b"] }, async ({ results }) => ({ total: results.b * 10 }));
      const r = await wf.run({ store, runId: "n-1", inputs: { day: "2026-12-03" } });
      assert.equal(r.state, "completed");
      const row = await store.getRun("n-1");
      assert.equal(row?.kind, "workflow");
      assert.equal(row?.name, "nightly");
      assert.equal(row?.state, "completed");
      assert.deepEqual(row?.inputs, { day: "2026-12-03" });
      assert.deepEqual(row?.progress, { done: 3, total: 3, deadLetters: 0 });
      assert.deepEqual(
        row?.plan.map((p) => p.name),
        ["a", "b", "c"],
      );
    });

    it("a resume runs only the tasks without a stored result", async () => {
      await using store = open();
      const ran: string[] = [];
      let failB = true;
      const wf = workflow("resume")
        .task("a", () => {
          ran.push("a");
          return 2;
        })
        .task("b", { after: ["a"] }, ({ results }) => {
          ran.push("b");
          if (failB) throw new Error("b down");
          return results.a * 3;
        })
        .task("side", () => {
          ran.push("side");
          return "s";
        })
        .task("c", { after: ["b", "side"] }, ({ results }) => {
          ran.push("c");
          return `${results.b}${results.side}`;
        });
      const first = await wf.run({ store, runId: "r-1", concurrency: 1 });
      assert.equal(first.state, "failed");
      assert.deepEqual(ran.sort(), ["a", "b", "side"]);
      assert.equal((await store.getRun("r-1"))?.state, "failed");
      ran.length = 0;
      failB = false;
      const second = await wf.run({ store, resume: "r-1" });
      assert.equal(second.state, "completed");
      assert.deepEqual(ran.sort(), ["b", "c"]);
      assert.equal(second.tasks["c"]?.result, "6s");
      assert.equal(second.tasks["a"]?.reused, true);
      ran.length = 0;
      const third = await wf.run({ store, resume: "r-1" });
      assert.equal(third.state, "completed");
      assert.deepEqual(ran, []);
      assert.equal(third.tasks["c"]?.result, "6s");
    });

    it("dynamic tasks are recorded: a resume sees the same graph", async () => {
      await using store = open();
      const ran: string[] = [];
      const failing = "part:2";
      const wf = workflow("fan")
        .task("list", () => [1, 2, 3])
        .task("fan", { after: ["list"] }, (ctx) => {
          ran.push("fan");
          for (const n of ctx.results.list) {
            ctx.add(`part:${n}`, { after: ["list"] }, () => {
              ran.push(`part:${n}`);
              if (`part:${n}` === failing) throw new Error("part down");
              return n * n;
            });
          }
          return "added";
        })
        .task("after-fan", { after: ["fan"] }, () => {
          ran.push("after-fan");
          return 0;
        });
      const first = await wf.run({ store, runId: "d-1" });
      assert.equal(first.state, "failed");
      assert.deepEqual(ran.sort(), ["after-fan", "fan", "part:1", "part:2", "part:3"]);
      const added = await (await store.resumeRun("d-1", { kind: "workflow", plan: [], force: true })).addedTasks();
      assert.deepEqual(
        added.map((a) => [a.task, a.parent]),
        [
          ["part:1", "fan"],
          ["part:2", "fan"],
          ["part:3", "fan"],
        ],
      );
      await store.close();
    });

    it("an adder whose added tasks did not all complete runs again; its completed tasks do not", async () => {
      await using store = open();
      const ran: string[] = [];
      let failing: string | undefined = "part:2";
      const wf = workflow("fan2")
        .task("fan", (ctx) => {
          ran.push("fan");
          for (const n of [1, 2, 3]) {
            ctx.add(`part:${n}`, () => {
              ran.push(`part:${n}`);
              if (`part:${n}` === failing) throw new Error("part down");
              return n * n;
            });
          }
          return "added";
        })
        .task("other", () => {
          ran.push("other");
          return 1;
        });
      assert.equal((await wf.run({ store, runId: "d-2" })).state, "failed");
      ran.length = 0;
      failing = undefined;
      const second = await wf.run({ store, resume: "d-2" });
      assert.equal(second.state, "completed");
      assert.deepEqual(ran.sort(), ["fan", "part:2"]);
      assert.equal(second.tasks["part:1"]?.result, 1);
      assert.equal(second.tasks["part:1"]?.reused, true);
      assert.equal(second.tasks["part:2"]?.result, 4);
      ran.length = 0;
      const third = await wf.run({ store, resume: "d-2" });
      assert.equal(third.state, "completed");
      assert.deepEqual(ran, []);
      assert.equal(third.tasks["part:3"]?.result, 9);
      assert.equal(third.tasks["part:3"]?.addedBy, "fan");
    });

    it("a resume after the definition changed is refused, naming the tasks, unless forced", async () => {
      await using store = open();
      let calls = 0;
      const v1 = workflow("change")
        .task("a", () => 1)
        .task("b", { after: ["a"] }, () => {
          calls++;
          throw new Error("not yet");
        });
      await v1.run({ store, runId: "c-1" });
      const v2 = workflow("change")
        .task("a", () => 2)
        .task("b", { after: ["a"] }, ({ results }) => results.a * 100);
      const refused = await v2.run({ store, resume: "c-1" });
      assert.equal(refused.state, "failed");
      assert.ok(WeirError.is(refused.error));
      assert.equal(refused.error.code, "WEIR_PLAN_CHANGED");
      assert.match(refused.error.message, /"a" changed; "b" changed/);
      const forced = await v2.run({ store, resume: "c-1", force: true });
      assert.equal(forced.state, "completed");
      assert.equal(forced.tasks["a"]?.reused, false, "a changed: it ran again");
      assert.equal(forced.tasks["b"]?.result, 200);
      assert.equal(calls, 1);
    });

    it("a result the store cannot carry fails the task before it is marked done", async () => {
      await using store = open();
      const r = await workflow("unstorable")
        .task("fn", () => () => 1)
        .task("next", { after: ["fn"] }, () => 1)
        .run({ store, runId: "u-1" });
      assert.equal(r.state, "failed");
      assert.equal(r.tasks["fn"]?.status, "failed");
      assert.equal((r.tasks["fn"]?.error as WeirError).code, "WEIR_NOT_SERIALIZABLE");
      assert.equal(r.tasks["next"]?.status, "skipped");
      assert.deepEqual((await store.getRun("u-1"))?.progress.done, 0);
    });

    it("a run whose id exists, or a resume of an unknown id, fails with the store's code", async () => {
      await using store = open();
      const wf = workflow("ids").task("a", () => 1);
      await wf.run({ store, runId: "same" });
      assert.equal(((await wf.run({ store, runId: "same" })).error as WeirError).code, "WEIR_RUN_EXISTS");
      assert.equal(((await wf.run({ store, resume: "nope" })).error as WeirError).code, "WEIR_RUN_NOT_FOUND");
    });
  });
}

describe("reuse after the definition changed", () => {
  it("is refused with WEIR_PLAN_CHANGED naming the changed tasks; force runs them again", async () => {
    const v1 = workflow("reuse")
      .task("a", () => 1)
      .task("b", { after: ["a"] }, ({ results }) => results.a + 1)
      .task("c", () => "c");
    const first = await v1.run();
    const v2 = workflow("reuse")
      .task("a", () => 10)
      .task("b", { after: ["a"] }, ({ results }) => results.a + 1)
      .task("c", () => "c");
    assert.throws(
      () => v2.run({ reuse: first }),
      (e: unknown) => WeirError.is(e) && e.code === "WEIR_PLAN_CHANGED" && /"a" changed/.test(e.message),
    );
    const forced = await v2.run({ reuse: first, force: true });
    assert.equal(forced.tasks["a"]?.result, 10);
    assert.equal(forced.tasks["b"]?.result, 11, "b depends on a: it ran again");
    assert.equal(forced.tasks["c"]?.reused, true);
    // unchanged: reused as before
    const same = await v1.run({ reuse: first });
    assert.equal(same.tasks["a"]?.reused, true);
  });
});

describe("durable options", () => {
  it("are validated", () => {
    const wf = workflow("opts").task("a", () => 1);
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as WeirError).code;
      }
      return undefined;
    };
    assert.equal(
      code(() => wf.run({ runId: "x" })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => wf.run({ resume: "x" })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => wf.run({ store: {} as Store })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => wf.run({ store: memoryStore(), resume: "x", runId: "y" })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => wf.run({ inputs: 1 })),
      "WEIR_INVALID_OPTION",
    );
    assert.equal(
      code(() => wf.run({ store: memoryStore(), resume: "x", inputs: 1 })),
      "WEIR_INVALID_OPTION",
    );
  });
});
