import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { workflow, type FailurePolicy, type TaskSpec, type TaskStatus } from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { sleep } from "../../src/time/Clock.js";

interface TaskShape {
  /** Indices of earlier tasks this one depends on. */
  readonly deps: number[];
  readonly priority: number;
  /** Milliseconds on the manual clock. */
  readonly durationMs: number;
  readonly fails: boolean;
  readonly onFailure: FailurePolicy;
}

const policies: readonly FailurePolicy[] = ["skip-dependents", "continue", "fail-workflow"];

/** A random DAG in topological order: each task may depend on any earlier one. */
const dagArb: fc.Arbitrary<{ tasks: TaskShape[]; concurrency: number }> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    concurrency: fc.integer({ min: 1, max: 4 }),
    tasks: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          deps: fc.subarray(
            Array.from({ length: i }, (_, j) => j),
            { maxLength: Math.min(3, i) },
          ),
          priority: fc.integer({ min: 0, max: 2 }),
          durationMs: fc.integer({ min: 1, max: 4 }),
          fails: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
          onFailure: fc.constantFrom(...policies),
        }),
      ),
    ),
  }),
);

const terminal: readonly TaskStatus[] = ["completed", "failed", "skipped", "cancelled"];

describe("scheduling properties over random DAGs", () => {
  it("dependencies first, the concurrency cap, priority then remaining path among ready tasks, and a terminal status for all", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async ({ tasks, concurrency }) => {
        const clock = new ManualClock();
        const name = (i: number): string => `t${i}`;
        const specs: TaskSpec[] = tasks.map((t, i) => ({
          name: name(i),
          after: t.deps.map(name),
          priority: t.priority,
          onFailure: t.onFailure,
          run: async () => {
            await sleep(clock, t.durationMs);
            if (t.fails) throw new Error(`${name(i)} fails`);
            return i;
          },
        }));
        const wf = workflow("random").tasks(specs);
        const plan = wf.plan();
        const order = new Map(plan.tasks.map((p, k) => [p.name, k]));
        const rank = new Map(plan.tasks.map((p) => [p.name, p.remainingPath]));
        const index = (i: number): number => order.get(name(i))!;
        // a > b in start order: higher priority, then longer remaining path, then definition order
        const before = (a: number, b: number): boolean => {
          const [pa, pb] = [tasks[a]!.priority, tasks[b]!.priority];
          if (pa !== pb) return pa > pb;
          const [ra, rb] = [rank.get(name(a))!, rank.get(name(b))!];
          if (ra !== rb) return ra > rb;
          return index(a) < index(b);
        };

        const ended = new Map<number, TaskStatus>();
        const started = new Set<number>();
        let running = 0;
        let peak = 0;
        // handlers are isolated by the bus (a throw would only be reported), so collect violations
        const violations: string[] = [];
        const check = (ok: boolean, what: string): void => void (ok || violations.push(what));
        const satisfied = (d: number): boolean =>
          ended.get(d) === "completed" || (ended.get(d) === "failed" && tasks[d]!.onFailure === "continue");
        const run = wf.run({ clock, concurrency });
        run.on("task:start", (e) => {
          const t = Number(e.task.slice(1));
          check(e.attempt === 1, `${e.task} attempt ${e.attempt}`);
          for (const d of tasks[t]!.deps)
            check(satisfied(d), `${e.task} started before its dependency t${d} completed`);
          for (let r = 0; r < tasks.length; r++) {
            if (r === t || started.has(r) || ended.has(r)) continue;
            if (!tasks[r]!.deps.every(satisfied)) continue;
            check(before(t, r), `${e.task} started while t${r} was ready and goes first`);
          }
          started.add(t);
          running++;
          peak = Math.max(peak, running);
          check(running <= concurrency, `${running} running under concurrency ${concurrency}`);
        });
        run.on("task:end", (e) => {
          const t = Number(e.task.name.slice(1));
          if (started.has(t)) running--;
          ended.set(t, e.task.status);
        });
        await clock.runAll();
        const r = await run;
        assert.deepEqual(violations, []);
        for (let i = 0; i < tasks.length; i++) {
          const status = r.tasks[name(i)]?.status;
          assert.ok(status !== undefined && terminal.includes(status), `${name(i)} ended ${String(status)}`);
          if (status === "skipped") assert.equal(started.has(i), false);
        }
        assert.equal(ended.size, tasks.length, "every task reported its end once");
        assert.ok(peak <= concurrency);
        if (!tasks.some((t) => t.fails)) {
          assert.equal(r.ok, true);
          assert.equal(r.counts.completed, tasks.length);
        }
      }),
      { numRuns: 150, seed: 20_240_611 },
    );
  });
});
