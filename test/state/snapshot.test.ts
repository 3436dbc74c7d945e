import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { workflow } from "../../src/workflow/createWorkflow.js";
import type { TaskSpec } from "../../src/workflow/Workflow.js";
import { deferred, turns, type Deferred } from "../helpers.js";

describe("run.snapshot()", () => {
  it("shares structure: in a 10,000-task run, changing one task reuses the other 9,999 objects", async () => {
    const n = 10_000;
    const gates: Deferred<number>[] = Array.from({ length: n }, () => deferred<number>());
    const specs: TaskSpec[] = gates.map((g, i) => ({ name: `t${i}`, run: () => g.promise }));
    const run = workflow("big").tasks(specs).run({ concurrency: Infinity });
    for (let i = 0; i < 100 && run.snapshot().counts.running < n; i++) await turns(1); // it yields every 1,024 starts
    const s1 = run.snapshot();
    assert.equal(s1.counts.running, n);
    gates[5_000]!.resolve(42);
    await turns(1);
    const s2 = run.snapshot();
    let same = 0;
    const a = [...s1.tasks()];
    const b = [...s2.tasks()];
    for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
    assert.equal(same, n - 1);
    assert.equal(s1.task("t5000")?.status, "running", "the earlier snapshot did not change");
    assert.equal(s2.task("t5000")?.status, "completed");
    assert.equal(s2.task("t5000")?.result, 42);
    assert.equal(s2.counts.completed, 1);
    run.cancel();
    await run;
  });

  it("a snapshot after one change costs one trie path (2 or 4 nodes), not the size: 1,000-task vs 100,000-task run", async () => {
    const cost = async (n: number): Promise<{ first: number; again: number; afterOne: number; reused: number }> => {
      const gate = deferred<number>();
      const one = deferred<number>();
      const specs: TaskSpec[] = [
        { name: "gate", run: () => gate.promise },
        { name: "one", run: () => one.promise },
        ...Array.from({ length: n - 2 }, (_, i): TaskSpec => ({ name: `t${i}`, after: ["gate"], run: () => i })),
      ];
      const run = workflow("big").tasks(specs).run({ concurrency: 4 });
      await turns(2);
      const c0 = run.snapshotCopies;
      const s1 = run.snapshot();
      const first = run.snapshotCopies - c0;
      assert.equal(run.snapshot(), s1);
      const again = run.snapshotCopies - c0;
      one.resolve(1);
      await turns(1);
      const s2 = run.snapshot();
      const afterOne = run.snapshotCopies - c0;
      assert.equal(s2.task("one")?.status, "completed");
      assert.equal(s2.counts.completed, 1);
      let reused = 0;
      const a = [...s1.tasks()];
      const b = [...s2.tasks()];
      for (let i = 0; i < n; i++) if (a[i] === b[i]) reused++;
      run.cancel();
      await run;
      return { first, again, afterOne, reused };
    };
    const small = await cost(1_000);
    const large = await cost(100_000);
    // making a snapshot copies nothing; the change after it copies one root-to-leaf path
    assert.deepEqual(small, { first: 0, again: 0, afterOne: 2, reused: 999 }); // 1,000 tasks: a trie of depth 2
    assert.deepEqual(large, { first: 0, again: 0, afterOne: 4, reused: 99_999 }); // 100,000 tasks: depth 4
    assert.ok(large.afterOne <= Math.ceil(Math.log(100_000) / Math.log(32)), "bounded by the depth, log32 of the size");
  });

  it("is frozen, and the same object while nothing changed", async () => {
    const gate = deferred();
    const run = workflow("w")
      .task("a", () => gate.promise)
      .task("b", { after: ["a"] }, () => 1)
      .run();
    await turns(2);
    const s1 = run.snapshot();
    assert.equal(run.snapshot(), s1);
    assert.ok(Object.isFrozen(s1));
    assert.ok(Object.isFrozen(s1.counts));
    assert.ok(Object.isFrozen(s1.task("a")));
    assert.throws(() => {
      (s1.task("a") as { status: string }).status = "completed";
    }, TypeError);
    gate.resolve();
    await run;
    const s2 = run.snapshot();
    assert.notEqual(s2, s1);
    assert.ok(s2.version > s1.version);
    assert.equal(s2.state, "completed");
    assert.equal(s1.state, "running");
  });

  it("serializes to plain JSON", async () => {
    const r = await workflow("w")
      .task("a", () => ({ x: 1 }))
      .run();
    const json = JSON.parse(JSON.stringify(r.snapshot)) as {
      tasks: { name: string; result: unknown }[];
      state: string;
    };
    assert.equal(json.state, "completed");
    assert.deepEqual(json.tasks[0]?.result, { x: 1 });
  });

  it("includes dynamic tasks, and an earlier snapshot does not see later ones", async () => {
    const gate = deferred();
    let add!: () => void;
    const run = workflow("w")
      .task("adder", (ctx) => {
        add = () => ctx.add("late", () => 1);
        return gate.promise;
      })
      .run();
    await turns(2);
    const before = run.snapshot();
    add();
    const after = run.snapshot();
    assert.equal(before.size, 1);
    assert.equal(before.task("late"), undefined);
    assert.equal(after.size, 2);
    gate.resolve();
    await run;
  });
});
