import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bulkhead,
  CancelledError,
  InvalidOptionError,
  pipeline,
  TimeoutError,
  workflow,
  type Admission,
  type AdmissionOutcome,
  type Clock,
  type TaskContext,
  type TaskSpec,
} from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";
import { deferred, turns } from "../helpers.js";

/** An admission of `limit` slots that records every release (and whom it was for). */
class RecordingAdmission implements Admission {
  readonly releases: { task: string; outcome: AdmissionOutcome }[] = [];
  inUse = 0;
  readonly clocks: Clock[] = [];
  readonly #listeners = new Set<() => void>();
  constructor(readonly limit: number) {}
  tryAcquire(): number {
    if (this.inUse >= this.limit) return Infinity;
    this.inUse++;
    return 0;
  }
  release(item: unknown, outcome: AdmissionOutcome): void {
    this.inUse--;
    this.releases.push({ task: (item as TaskContext).task, outcome });
    for (const l of [...this.#listeners]) l();
  }
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
  bindClock(clock: Clock): void {
    this.clocks.push(clock);
  }
}

describe("workflow tasks under admission policies (bulkhead, admission)", () => {
  it("a pipeline stage and a workflow share one bulkhead: together they never exceed it, and reach it", async () => {
    const db = bulkhead({ name: "db", limit: 3 });
    let inUse = 0;
    let peak = 0;
    const useDb = async (): Promise<void> => {
      inUse++;
      peak = Math.max(peak, inUse);
      await turns(2);
      inUse--;
    };
    const wf = workflow("nightly").tasks(
      Array.from({ length: 12 }, (_, i): TaskSpec => ({ name: `vacuum${i}`, bulkhead: db, run: useDb })),
    );
    const [r] = await Promise.all([
      wf.run({ concurrency: 8 }),
      pipeline<number>("import")
        .from(Array.from({ length: 30 }, (_, i) => i))
        .to(useDb, { concurrency: 8, bulkhead: db })
        .run(),
    ]);
    assert.equal(r.ok, true);
    assert.equal(peak, 3);
    assert.equal(db.stats().peakInUse, 3);
    assert.equal(db.inUse, 0, "every unit was given back");
  });

  it("takes the example from the bulkhead docs: workflow(...).task(name, { bulkhead }, fn)", async () => {
    const db = bulkhead({ name: "db", limit: 1 });
    const vacuum = (): string => "vacuumed";
    const r = await workflow("nightly").task("vacuum", { bulkhead: db }, vacuum).run();
    assert.equal(r.results.vacuum, "vacuumed");
    assert.equal(db.stats().admitted, 1);
  });

  it("a weight function sees the task's context", async () => {
    const db = bulkhead<TaskContext>({ name: "db", limit: 3, weight: (ctx) => (ctx.task === "big" ? 3 : 1) });
    const seen: number[] = [];
    const r = await workflow("w")
      .task("big", { bulkhead: db }, () => void seen.push(db.inUse))
      .task("small", { bulkhead: db }, () => void seen.push(db.inUse))
      .run({ concurrency: 2 });
    assert.equal(r.ok, true);
    assert.deepEqual(seen.sort(), [1, 3]);
  });

  it("releases per attempt with its outcome: success, the error, and the cancellation of a running attempt", async () => {
    const policy = new RecordingAdmission(10);
    const boom = new Error("boom");
    const gate = deferred();
    const hangStarted = deferred();
    const run = workflow("w")
      .task("ok", { admission: policy }, () => 1)
      .task("flaky", { admission: [policy], retry: { attempts: 2, baseMs: 0 } }, ({ attempt }) => {
        if (attempt === 1) throw boom;
        return 2;
      })
      .task("hang", { after: ["ok", "flaky"], admission: policy }, () => (hangStarted.resolve(), gate.promise))
      .run();
    let r;
    try {
      // waits for the event, not for a number of turns: the retry's backoff is a real timer
      await hangStarted.promise;
      assert.equal(policy.inUse, 1, "hang holds its unit while it runs");
    } finally {
      run.cancel("enough"); // a failed assertion must not leave the run holding the process open
      r = await run;
    }
    assert.equal(r.tasks.flaky?.attempts, 2);
    assert.equal(policy.inUse, 0);
    const outcome = (task: string): string[] =>
      policy.releases
        .filter((x) => x.task === task)
        .map((x) => (x.outcome.ok ? "ok" : (x.outcome.error as Error).constructor.name));
    assert.deepEqual(outcome("ok"), ["ok"]);
    assert.deepEqual(outcome("flaky"), ["Error", "ok"], "each attempt acquired and released on its own");
    assert.equal(policy.releases.find((x) => x.task === "flaky")?.outcome.error, boom);
    assert.deepEqual(outcome("hang"), ["CancelledError"]);
    assert.equal(
      policy.releases.find((x) => x.task === "hang")?.outcome.cancelled,
      true,
      "cut short by the run's end: no outcome to record",
    );
    assert.ok(policy.releases.filter((x) => x.task !== "hang").every((x) => x.outcome.cancelled !== true));
    assert.ok(policy.releases.every((x) => x.outcome.neutral !== true));
  });

  it("waits for admission holding its run slot, so at most `concurrency` tasks wait; a cancelled wait acquires nothing", async () => {
    const policy = new RecordingAdmission(1);
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: string[] = [];
    const run = workflow("w")
      .tasks(
        gates.map((g, i): TaskSpec => ({
          name: `t${i}`,
          bulkhead: policy,
          run: () => (started.push(`t${i}`), g.promise),
        })),
      )
      .run({ concurrency: 3 });
    await turns(3);
    assert.deepEqual(started, ["t0"]);
    const s = run.snapshot();
    assert.equal(s.counts.running, 3, "t0 runs, t1 and t2 wait for admission in their slots");
    assert.equal(s.counts.pending, 2, "t3 and t4 wait for a slot");
    gates[0]!.resolve();
    await turns(3);
    assert.deepEqual(started, ["t0", "t1"]);
    run.cancel();
    const r = await run;
    assert.equal(r.state, "cancelled");
    assert.equal(policy.inUse, 0);
    assert.deepEqual(
      policy.releases.map((x) => x.task),
      ["t0", "t1"],
      "the waiting tasks never acquired, so never released",
    );
  });

  it("the timeout counts from admission, and a timed-out attempt keeps its unit until its code settles", async () => {
    const clock = new ManualClock();
    const db = bulkhead({ name: "db", limit: 1 });
    const late = deferred<string>();
    const run = workflow("w")
      .task("stuck", { bulkhead: db, timeoutMs: 10 }, () => late.promise)
      .task("next", { bulkhead: db }, () => "ran")
      .run({ clock, concurrency: 2 });
    await turns(2);
    await clock.advance(10);
    assert.ok(run.snapshot().task("stuck")?.error instanceof TimeoutError);
    assert.equal(db.inUse, 1, "stuck's code still runs: its unit is still taken");
    assert.equal(run.snapshot().task("next")?.status, "running", "next waits for the unit");
    late.resolve("too late");
    const r = await run;
    assert.equal(r.results.next, "ran");
    assert.equal(db.inUse, 0);
  });

  it("binds its policies to the run's clock, as a pipeline stage does (static and added tasks)", async () => {
    const clock = new ManualClock();
    const policy = new RecordingAdmission(5);
    const added = new RecordingAdmission(5);
    const r = await workflow("w")
      .task("a", { admission: policy }, (ctx) => ctx.add("b", { admission: added }, () => 2))
      .run({ clock });
    assert.equal(r.ok, true);
    assert.deepEqual(policy.clocks, [clock]);
    assert.deepEqual(added.clocks, [clock]);
  });

  it("validates bulkhead and admission where the task is defined", () => {
    assert.throws(
      () => workflow("w").task("a", { bulkhead: {} as never }, () => 1),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "bulkhead" && /task "a"/.test(e.message),
    );
    const db = bulkhead({ name: "db", limit: 1 });
    assert.throws(
      () => workflow("w").task("a", { admission: [db, 1 as never] }, () => 1),
      (e: unknown) => e instanceof InvalidOptionError && e.option === "admission[1]",
    );
    assert.throws(() => workflow("w").tasks([{ name: "a", admission: "db" as never, run: () => 1 }]), {
      code: "WEIR_INVALID_OPTION",
    });
    assert.ok(new CancelledError("x") instanceof Error);
  });
});
