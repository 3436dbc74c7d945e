/**
 * The Store conformance suite: every behaviour a runner relies on, run against each implementation
 * (memory.test.ts, sqlite.test.ts). Time is injected: a ManualClock for the commit window and the
 * heartbeat, a settable wall clock for timestamps, so nothing here sleeps.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  RangeSet,
  WeirError,
  InvalidOptionError,
  type Store,
  type StoreOptions,
  type PlanShape,
  type RunHandle,
} from "../../src/index.js";
import { ManualClock } from "../../src/testing.js";

/** Makes a fresh, empty store with the given options. */
export type StoreFactory = (options: StoreOptions) => Store;

const plan: PlanShape = [
  { name: "parse", fingerprint: "p1" },
  { name: "enrich", fingerprint: "e1" },
  { name: "write", fingerprint: "w1" },
];

/** A store with a manual clock (window 10 ms, 1000 ops) and a wall clock the test moves. */
function setup(factory: StoreFactory, options: StoreOptions = {}) {
  const clock = new ManualClock();
  const wall = { now: 1_000_000 };
  const store = factory({ clock, now: () => wall.now, commitWindowMs: 10, ...options });
  return { store, clock, wall };
}

function pipelineRun(store: Store, id = "run-1", total?: number): Promise<RunHandle> {
  return store.createRun({ id, kind: "pipeline", name: "orders", plan, ...(total === undefined ? {} : { total }) });
}

function code(error: unknown): string | undefined {
  return WeirError.is(error) ? error.code : undefined;
}

export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    describe("runs", () => {
      it("createRun registers a live running run; a second run with the same id is refused", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store, "run-1", 10);
        assert.equal(run.epoch, 1);
        assert.equal(run.resumed, false);
        const record = await store.getRun("run-1");
        assert.equal(record?.state, "running");
        assert.equal(record?.live, true);
        assert.equal(record?.owner?.pid, process.pid);
        assert.deepEqual(record?.plan, plan);
        assert.deepEqual(record?.progress, { done: 0, total: 10, deadLetters: 0 });
        await assert.rejects(pipelineRun(store, "run-1"), (e) => code(e) === "WEIR_RUN_EXISTS");
        await store.close();
      });

      it("listRuns filters by kind, name, state and liveness, newest first, bounded by limit", async () => {
        const { store, wall } = setup(factory);
        const a = await pipelineRun(store, "a");
        wall.now += 1;
        const b = await store.createRun({ id: "b", kind: "workflow", name: "nightly", plan, inputs: { day: 3 } });
        wall.now += 1;
        await pipelineRun(store, "c");
        await a.finish("completed");
        await b.finish("failed", new Error("disk on fire"));
        assert.deepEqual(
          (await store.listRuns()).map((r) => r.id),
          ["c", "b", "a"],
        );
        assert.deepEqual(
          (await store.listRuns({ kind: "workflow" })).map((r) => r.id),
          ["b"],
        );
        assert.deepEqual(
          (await store.listRuns({ name: "orders", state: "completed" })).map((r) => r.id),
          ["a"],
        );
        assert.deepEqual(
          (await store.listRuns({ live: true })).map((r) => r.id),
          ["c"],
        );
        assert.deepEqual(
          (await store.listRuns({ limit: 1 })).map((r) => r.id),
          ["c"],
        );
        const failed = await store.getRun("b");
        assert.equal(failed?.state, "failed");
        assert.equal(failed?.error?.message, "disk on fire");
        assert.equal(failed?.owner, undefined);
        assert.equal(failed?.endedAt, wall.now);
        assert.deepEqual(failed?.inputs, { day: 3 });
        await store.close();
      });

      it("a finished handle takes no more writes; finish is idempotent", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        await run.finish("completed");
        await run.finish("completed");
        assert.throws(() => run.checkpoint({ watermark: 1 }), /after finish/);
        await store.close();
      });

      it("publishSnapshot stores the owner's latest live stats with the run", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        assert.equal((await store.getRun("run-1"))?.snapshot, undefined);
        run.publishSnapshot({ stages: { enrich: { done: 1 } } });
        run.publishSnapshot({ stages: { enrich: { done: 2 } } });
        await run.commit();
        assert.deepEqual((await store.getRun("run-1"))?.snapshot, { stages: { enrich: { done: 2 } } });
        await store.close();
      });

      it("deleteRun removes a run that nobody owns, with its rows, and refuses a live one", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        run.checkpoint({ watermark: 5 });
        await assert.rejects(store.deleteRun("run-1"), (e) => code(e) === "WEIR_RUN_OWNED");
        await run.finish("completed");
        assert.equal(await store.deleteRun("run-1"), true);
        assert.equal(await store.getRun("run-1"), undefined);
        assert.equal(await store.deleteRun("run-1"), false);
        await store.close();
      });

      it("options are validated, naming the option", () => {
        assert.throws(
          () => factory({ commitMaxOps: 0 }),
          (e) => e instanceof InvalidOptionError && e.option === "commitMaxOps",
        );
        assert.throws(
          () => factory({ commitWindowMs: -1 }),
          (e) => e instanceof InvalidOptionError && e.option === "commitWindowMs",
        );
      });
    });

    describe("group commit", () => {
      it("writes wait for the window, then commit together; committed() resolves then", async () => {
        const { store, clock } = setup(factory);
        const run = await pipelineRun(store);
        run.checkpoint({ watermark: 1 });
        run.inboxAdd(1, "x");
        assert.equal(run.pending, 2);
        let done = false;
        const waiting = run.committed().then(() => (done = true));
        await clock.advance(9);
        assert.equal(done, false);
        assert.equal(run.pending, 2);
        await clock.advance(1);
        await waiting;
        assert.equal(run.pending, 0);
        assert.equal((await run.lastCheckpoint())?.watermark, 1);
        await store.close();
      });

      it("a group commits as soon as it holds commitMaxOps writes", async () => {
        const { store } = setup(factory, { commitMaxOps: 3 });
        const run = await pipelineRun(store);
        run.inboxAdd(1, "a");
        run.inboxAdd(2, "b");
        assert.equal(run.pending, 2);
        run.inboxAdd(3, "c");
        assert.equal(run.pending, 0);
        await store.close();
      });

      it("a checkpoint replaced within one group is never written: seq counts committed checkpoints", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        run.checkpoint({ watermark: 1 });
        run.checkpoint({ watermark: 2 });
        await run.commit();
        run.checkpoint({ watermark: 3 });
        await run.commit();
        const last = await run.lastCheckpoint();
        assert.equal(last?.seq, 2);
        assert.equal(last?.watermark, 3);
        await store.close();
      });
    });

    describe("checkpoints", () => {
      it("round-trip watermark, done ranges above it, accumulators and stage state", async () => {
        const { store, wall } = setup(factory);
        const run = await pipelineRun(store, "run-1", 100);
        assert.equal(await run.lastCheckpoint(), undefined);
        const done = RangeSet.from([
          [0, 3],
          [12, 15],
          [20, 21],
        ]);
        const accumulators = {
          batch: [
            { id: 9, at: new Date(5) },
            { id: 10, at: new Date(6) },
          ],
        };
        const stageState = {
          dedupe: { seen: new Set(["a", "b"]), bytes: new Uint8Array([1, 2, 3]), big: 2n ** 70n },
          counts: new Map([["x", 1]]),
        };
        run.checkpoint({ watermark: 10, done, accumulators, stageState });
        await run.commit();
        const last = await run.lastCheckpoint();
        assert.equal(last?.seq, 1);
        assert.equal(last?.watermark, 10);
        assert.deepEqual(
          [...last!.done.ranges()],
          [
            [12, 15],
            [20, 21],
          ],
        );
        assert.deepEqual(last?.accumulators, accumulators);
        assert.deepEqual(last?.stageState, stageState);
        assert.equal(last?.at, wall.now);
        // the caller's set is not changed by the trim
        assert.equal(done.size, 7);
        assert.deepEqual((await store.getRun("run-1"))?.progress, { done: 14, total: 100, deadLetters: 0 });
        await store.close();
      });

      it("checkpointWith + progressed: one checkpoint per commit, made when the commit starts", async () => {
        const { store, clock } = setup(factory);
        const run = await pipelineRun(store);
        const done = new RangeSet();
        let made = 0;
        run.checkpointWith(() => {
          made++;
          return { watermark: done.firstMissing(), done, accumulators: { batch: [done.size] } };
        });
        for (let i = 0; i < 100; i++) {
          done.add(i === 5 ? 200 : i); // 5 is still in flight
          run.progressed();
        }
        assert.equal(made, 0, "nothing is made before the commit");
        assert.equal(run.pending, 1);
        await clock.advance(10);
        assert.equal(made, 1);
        const first = await run.lastCheckpoint();
        assert.equal(first?.seq, 1);
        assert.equal(first?.watermark, 5);
        assert.deepEqual(
          [...first!.done.ranges()],
          [
            [6, 100],
            [200, 201],
          ],
        );
        assert.deepEqual(first?.accumulators, { batch: [100] });
        done.add(5);
        run.progressed();
        await run.commit();
        assert.equal(made, 2);
        assert.equal((await run.lastCheckpoint())?.watermark, 100);
        await store.commit(); // nothing progressed: no checkpoint is made
        assert.equal(made, 2);
        await store.close();
      });

      it("progressed needs checkpointWith; a checkpoint that cannot be stored fails the handle", async () => {
        const { store, clock } = setup(factory);
        const run = await pipelineRun(store);
        assert.throws(() => run.progressed(), /before checkpointWith/);
        const failures: string[] = [];
        run.onFailure((e) => failures.push(e.code));
        run.checkpointWith(() => ({ watermark: 1, stageState: { handler: () => 1 } }));
        run.progressed();
        await clock.advance(10);
        assert.deepEqual(failures, ["WEIR_NOT_SERIALIZABLE"]);
        await assert.rejects(run.committed(), (e) => code(e) === "WEIR_NOT_SERIALIZABLE");
        await store.close();
      });

      it("refuses a bad watermark or done set, naming the option", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        assert.throws(
          () => run.checkpoint({ watermark: -1 }),
          (e) => e instanceof InvalidOptionError && e.option === "checkpoint.watermark",
        );
        assert.throws(
          () => run.checkpoint({ watermark: 1, done: [[1, 2]] as never }),
          (e) => e instanceof InvalidOptionError && e.option === "checkpoint.done",
        );
        assert.equal(run.pending, 0);
        await store.close();
      });
    });

    describe("inbox", () => {
      it("keeps admitted items until removed; reads back ascending, in pages", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        for (const index of [5, 1, 3, 2, 4]) run.inboxAdd(index, { index, payload: `item ${index}` });
        await run.commit();
        run.inboxRemove(3);
        run.inboxRemove(99); // never added: nothing to remove
        assert.deepEqual(
          (await run.inbox()).map((e) => e.index),
          [1, 2, 4, 5],
        );
        assert.deepEqual(await run.inbox({ after: 1, limit: 2 }), [
          { index: 2, item: { index: 2, payload: "item 2" } },
          { index: 4, item: { index: 4, payload: "item 4" } },
        ]);
        await store.close();
      });

      it("an item added and removed within one group leaves nothing", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        run.inboxAdd(1, "a");
        run.inboxAdd(2, "b");
        run.inboxRemove(1);
        await run.commit();
        assert.deepEqual(await run.inbox(), [{ index: 2, item: "b" }]);
        await store.close();
      });

      it("after a resume, removing an item that was on disk deletes it, even re-added and removed in one group", async () => {
        const { store } = setup(factory);
        const first = await pipelineRun(store);
        first.inboxAdd(3, "three");
        first.inboxAdd(4, "four");
        await first.finish("running");
        const resumed = await store.resumeRun("run-1", { kind: "pipeline", plan });
        resumed.inboxAdd(3, "three again");
        resumed.inboxRemove(3);
        resumed.inboxAdd(9, "new");
        resumed.inboxRemove(9);
        resumed.inboxRemove(4);
        await resumed.commit();
        assert.deepEqual(await resumed.inbox(), []);
        await store.close();
      });
    });

    describe("serialization", () => {
      it("a value msgpack cannot carry throws WEIR_NOT_SERIALIZABLE at the call; nothing is queued", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        const cycle: Record<string, unknown> = { a: 1 };
        cycle["self"] = cycle;
        const refused: [string, () => void][] = [
          ["function", () => run.inboxAdd(1, { f: () => 1 })],
          ["symbol", () => run.inboxAdd(2, Symbol("s"))],
          ["cycle", () => run.inboxAdd(3, cycle)],
          [
            "dead letter",
            () =>
              run.addDeadLetter({
                key: "k",
                stage: "enrich",
                item: () => 1,
                error: new Error("x"),
                attempts: 1,
                firstFailedAt: 0,
              }),
          ],
          ["task result", () => run.recordTaskResult("t", { fn: () => 1 }, { attempts: 1 })],
          ["cache", () => store.cache.set("s", "k", () => 1)],
        ];
        for (const [what, write] of refused) {
          assert.throws(
            write,
            (e) => code(e) === "WEIR_NOT_SERIALIZABLE" && /cannot be stored/.test((e as Error).message),
            what,
          );
        }
        assert.equal(run.pending, 0);
        // the handle is still usable
        run.inboxAdd(4, "fine");
        await run.commit();
        assert.deepEqual(await run.inbox(), [{ index: 4, item: "fine" }]);
        await store.close();
      });
    });

    describe("workflows", () => {
      it("task results, replaced by a later one of the same task; progress counts them", async () => {
        const { store, wall } = setup(factory);
        const run = await store.createRun({ id: "wf", kind: "workflow", name: "nightly", plan, total: 3 });
        run.recordTaskResult("extract", { rows: [1, 2, 3] }, { attempts: 1 });
        run.recordTaskResult("transform", "first", { attempts: 1 });
        run.recordTaskResult("transform", "second", { attempts: 2 });
        await run.commit();
        const results = await run.taskResults();
        assert.deepEqual([...results.keys()].sort(), ["extract", "transform"]);
        assert.deepEqual(results.get("extract"), {
          task: "extract",
          result: { rows: [1, 2, 3] },
          attempts: 1,
          completedAt: wall.now,
        });
        assert.equal(results.get("transform")?.result, "second");
        assert.equal(results.get("transform")?.attempts, 2);
        assert.deepEqual((await store.getRun("wf"))?.progress, { done: 2, total: 3, deadLetters: 0 });
        await store.close();
      });

      it("added tasks come back in the order added; re-adding a name keeps the first", async () => {
        const { store } = setup(factory);
        const run = await store.createRun({ id: "wf", kind: "workflow", name: "nightly", plan, total: 3 });
        run.recordAddedTask({ task: "shard-2", parent: "split", spec: { factory: "shard", args: [2] } });
        run.recordAddedTask({ task: "shard-1", parent: "split", spec: { factory: "shard", args: [1] } });
        await run.commit();
        run.recordAddedTask({ task: "shard-2", parent: "split", spec: { factory: "other" } });
        const added = await run.addedTasks();
        assert.deepEqual(
          added.map((t) => [t.seq, t.task, t.spec]),
          [
            [1, "shard-2", { factory: "shard", args: [2] }],
            [2, "shard-1", { factory: "shard", args: [1] }],
          ],
        );
        assert.equal((await store.getRun("wf"))?.progress.total, 5);
        await store.close();
      });
    });

    describe("dead letters", () => {
      async function seeded(factory: StoreFactory) {
        const s = setup(factory);
        const orders = await pipelineRun(s.store, "o1");
        const nightly = await s.store.createRun({ id: "n1", kind: "workflow", name: "nightly", plan });
        const timeout = Object.assign(new Error("too slow"), { code: "ETIMEDOUT" });
        const wrapped = new Error("enrich failed", { cause: new TypeError("bad field", { cause: timeout }) });
        orders.addDeadLetter({
          key: "o1/1",
          stage: "enrich",
          index: 1,
          item: { id: 1 },
          error: wrapped,
          attempts: 5,
          firstFailedAt: 10,
          lastFailedAt: 20,
        });
        s.wall.now += 1000;
        orders.addDeadLetter({
          key: "o1/2",
          stage: "write",
          index: 2,
          item: { id: 2 },
          error: timeout,
          attempts: 1,
          firstFailedAt: 30,
        });
        nightly.addDeadLetter({
          key: "n1/load",
          stage: "load",
          item: null,
          error: "a string was thrown",
          attempts: 3,
          firstFailedAt: 40,
          lastFailedAt: 50,
        });
        await s.store.commit();
        return { ...s, orders, nightly };
      }

      it("are stored with key, run, stage, item, error chain, attempts and failure times", async () => {
        const { store, wall } = await seeded(factory);
        const page = await store.deadLetters.list();
        assert.equal(page.records.length, 3);
        assert.equal(page.next, undefined);
        const [first, second, third] = page.records;
        assert.ok(first!.id < second!.id && second!.id < third!.id);
        assert.equal(first!.runId, "o1");
        assert.equal(first!.runKind, "pipeline");
        assert.equal(first!.runName, "orders");
        assert.equal(first!.key, "o1/1");
        assert.equal(first!.stage, "enrich");
        assert.equal(first!.index, 1);
        assert.deepEqual(first!.item, { id: 1 });
        assert.equal(first!.attempts, 5);
        assert.equal(first!.firstFailedAt, 10);
        assert.equal(first!.lastFailedAt, 20);
        assert.equal(first!.replayedAt, undefined);
        assert.equal(first!.error.name, "Error");
        assert.equal(first!.error.message, "enrich failed");
        assert.match(first!.error.stack!, /enrich failed/);
        assert.deepEqual(
          first!.error.causes.map((c) => [c.name, c.message, c.code]),
          [
            ["TypeError", "bad field", undefined],
            ["Error", "too slow", "ETIMEDOUT"],
          ],
        );
        assert.equal(second!.lastFailedAt, wall.now, "lastFailedAt defaults to now");
        assert.equal(second!.error.code, "ETIMEDOUT");
        assert.equal(third!.index, undefined);
        assert.equal(third!.error.name, "string");
        assert.equal(third!.error.message, "a string was thrown");
        assert.deepEqual(await store.deadLetters.get(first!.id), first);
        assert.equal(await store.deadLetters.get(999), undefined);
        assert.equal((await store.getRun("o1"))?.progress.deadLetters, 2);
        await store.close();
      });

      it("list filters by run, name, kind, stage, code, since and replayed, and pages", async () => {
        const { store } = await seeded(factory);
        const ids = async (filter: Parameters<Store["deadLetters"]["list"]>[0]) =>
          (await store.deadLetters.list(filter)).records.map((r) => r.key);
        assert.deepEqual(await ids({ runName: "orders" }), ["o1/1", "o1/2"]);
        assert.deepEqual(await ids({ runId: "n1" }), ["n1/load"]);
        assert.deepEqual(await ids({ runKind: "workflow" }), ["n1/load"]);
        assert.deepEqual(await ids({ runName: "orders", stage: "write" }), ["o1/2"]);
        assert.deepEqual(await ids({ code: "ETIMEDOUT" }), ["o1/2"]);
        assert.deepEqual(await ids({ since: 50 }), ["o1/2", "n1/load"]);
        assert.equal(await store.deadLetters.count({ runName: "orders" }), 2);
        const firstPage = await store.deadLetters.list({ limit: 2 });
        assert.deepEqual(
          firstPage.records.map((r) => r.key),
          ["o1/1", "o1/2"],
        );
        const secondPage = await store.deadLetters.list({ limit: 2, after: firstPage.next! });
        assert.deepEqual(
          secondPage.records.map((r) => r.key),
          ["n1/load"],
        );
        assert.equal(secondPage.next, undefined);
        await assert.rejects(
          store.deadLetters.list({ stag: "x" } as never),
          (e) => e instanceof InvalidOptionError && e.option === "stag",
        );
        await store.close();
      });

      it("markReplayed stamps them; purge deletes by ids or by filter", async () => {
        const { store, wall } = await seeded(factory);
        const [first, second, third] = (await store.deadLetters.list()).records;
        assert.equal(await store.deadLetters.markReplayed([first!.id, 999]), 1);
        assert.equal((await store.deadLetters.get(first!.id))?.replayedAt, wall.now);
        assert.deepEqual(
          (await store.deadLetters.list({ replayed: true })).records.map((r) => r.id),
          [first!.id],
        );
        assert.deepEqual(
          (await store.deadLetters.list({ replayed: false })).records.map((r) => r.id),
          [second!.id, third!.id],
        );
        assert.equal(await store.deadLetters.purge({ ids: [first!.id], runName: "nightly" }), 0);
        assert.equal(await store.deadLetters.purge({ ids: [first!.id] }), 1);
        assert.equal(await store.deadLetters.purge({ runName: "orders" }), 1);
        assert.equal(await store.deadLetters.count(), 1);
        assert.equal(await store.deadLetters.purge({}), 1);
        assert.equal(await store.deadLetters.count(), 0);
        await store.close();
      });

      it("a purge sees dead letters queued just before it", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        run.addDeadLetter({ key: "k", stage: "enrich", item: 1, error: new Error("x"), attempts: 1, firstFailedAt: 0 });
        assert.equal(await store.deadLetters.purge({}), 1);
        await store.close();
      });
    });

    describe("ownership", () => {
      it("a released run resumes with the next epoch and its state intact", async () => {
        const { store } = setup(factory);
        const first = await pipelineRun(store);
        first.checkpoint({ watermark: 7 });
        await first.finish("running");
        const released = await store.getRun("run-1");
        assert.equal(released?.state, "running");
        assert.equal(released?.live, false);
        assert.equal(released?.owner, undefined);
        const second = await store.resumeRun("run-1", { kind: "pipeline", plan });
        assert.equal(second.epoch, 2);
        assert.equal(second.resumed, true);
        assert.equal((await second.lastCheckpoint())?.watermark, 7);
        assert.equal((await store.getRun("run-1"))?.live, true);
        await store.close();
      });

      it("a live owner refuses resume; takeover fences the old handle's next commit", async () => {
        const { store } = setup(factory);
        const old = await pipelineRun(store);
        old.checkpoint({ watermark: 1 });
        await old.commit();
        await assert.rejects(store.resumeRun("run-1", { kind: "pipeline", plan }), (e) => code(e) === "WEIR_RUN_OWNED");
        const failures: string[] = [];
        old.onFailure((e) => failures.push(e.code));
        const next = await store.resumeRun("run-1", { kind: "pipeline", plan, takeover: true });
        assert.equal(next.epoch, 2);
        assert.deepEqual(failures, ["WEIR_RUN_FENCED"]);
        assert.throws(
          () => old.checkpoint({ watermark: 99 }),
          (e) => code(e) === "WEIR_RUN_FENCED",
        );
        next.checkpoint({ watermark: 2 });
        await next.commit();
        assert.equal((await next.lastCheckpoint())?.watermark, 2);
        await store.close();
      });

      it("writes queued by a handle that was fenced off between queueing and commit are dropped", async () => {
        const { store } = setup(factory);
        const old = await pipelineRun(store);
        await old.finish("running");
        // another store (or process) would bump the epoch; here: a second claim of the released run
        const next = await store.resumeRun("run-1", { kind: "pipeline", plan });
        next.checkpoint({ watermark: 5 });
        await next.commit();
        const again = await store.resumeRun("run-1", { kind: "pipeline", plan, takeover: true });
        assert.equal(again.epoch, 3);
        assert.equal(next.failure?.code, "WEIR_RUN_FENCED");
        await assert.rejects(next.committed(), (e) => code(e) === "WEIR_RUN_FENCED");
        await assert.rejects(next.finish("completed"), (e) => code(e) === "WEIR_RUN_FENCED");
        assert.equal((await again.lastCheckpoint())?.watermark, 5);
        await store.close();
      });

      it("resume of an unknown id or the wrong kind is WEIR_RUN_NOT_FOUND", async () => {
        const { store } = setup(factory);
        await assert.rejects(
          store.resumeRun("nope", { kind: "pipeline", plan }),
          (e) => code(e) === "WEIR_RUN_NOT_FOUND",
        );
        const run = await pipelineRun(store);
        await run.finish("running");
        await assert.rejects(
          store.resumeRun("run-1", { kind: "workflow", plan }),
          (e) => code(e) === "WEIR_RUN_NOT_FOUND" && /pipeline run of "orders"/.test((e as Error).message),
        );
        await store.close();
      });

      it("a changed plan is refused naming each difference, unless forced", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        await run.finish("running");
        const changed: PlanShape = [
          { name: "enrich", fingerprint: "e2" },
          { name: "parse", fingerprint: "p1" },
          { name: "audit", fingerprint: "a1" },
        ];
        await assert.rejects(store.resumeRun("run-1", { kind: "pipeline", plan: changed }), (e: unknown) => {
          assert.equal(code(e), "WEIR_PLAN_CHANGED");
          assert.deepEqual((e as { changes: string[] }).changes, [
            '"write" removed',
            '"enrich" changed',
            '"audit" added',
            'order changed: "parse" → "enrich" became "enrich" → "parse"',
          ]);
          return true;
        });
        const forced = await store.resumeRun("run-1", { kind: "pipeline", plan: changed, force: true });
        assert.deepEqual(forced.record.plan, changed);
        assert.deepEqual((await store.getRun("run-1"))?.plan, changed);
        await store.close();
      });

      it("the heartbeat is touched by the timer while idle and by every commit", async () => {
        const { store, clock, wall } = setup(factory, { heartbeatMs: 1000 });
        const run = await pipelineRun(store);
        const started = (await store.getRun("run-1"))!.heartbeatAt!;
        wall.now += 500;
        run.inboxAdd(1, "x");
        await run.commit();
        assert.equal((await store.getRun("run-1"))?.heartbeatAt, started + 500);
        wall.now += 2000;
        await clock.advance(1000); // the heartbeat timer queues a heartbeat…
        await clock.advance(10); // …that the window commits
        assert.equal((await store.getRun("run-1"))?.heartbeatAt, started + 2500);
        await store.close();
      });

      it("close releases the store's open runs (resumable) and refuses later calls with WEIR_STORE_CLOSED", async () => {
        const { store } = setup(factory);
        const run = await pipelineRun(store);
        run.inboxAdd(1, "kept");
        await store.close();
        await store.close();
        await assert.rejects(store.getRun("run-1"), (e) => code(e) === "WEIR_STORE_CLOSED");
        assert.throws(
          () => run.inboxAdd(2, "x"),
          (e) => code(e) === "WEIR_STORE_CLOSED" || /after finish/.test(String(e)),
        );
      });
    });

    describe("cache tier", () => {
      it("get sees a set before and after its commit; a miss is undefined", async () => {
        const { store, wall } = setup(factory);
        assert.equal(await store.cache.get("embed", "k1"), undefined);
        store.cache.set("embed", "k1", { vector: [1, 2] });
        assert.deepEqual(await store.cache.get("embed", "k1"), { value: { vector: [1, 2] }, storedAt: wall.now });
        await store.commit();
        assert.deepEqual(await store.cache.get("embed", "k1"), { value: { vector: [1, 2] }, storedAt: wall.now });
        store.cache.set("embed", "k1", "replaced");
        store.cache.set("embed", "cached-undefined", undefined);
        await store.commit();
        assert.equal((await store.cache.get("embed", "k1"))?.value, "replaced");
        assert.deepEqual(await store.cache.get("embed", "cached-undefined"), { value: undefined, storedAt: wall.now });
        assert.equal(await store.cache.get("other-stage", "k1"), undefined);
        await store.close();
      });

      it("entries past their ttl miss; maxEntries evicts the oldest-written at commit", async () => {
        const { store, wall } = setup(factory);
        store.cache.set("s", "short", 1, { ttlMs: 100 });
        store.cache.set("s", "long", 2, { ttlMs: 10_000 });
        await store.commit();
        wall.now += 100;
        assert.equal(await store.cache.get("s", "short"), undefined);
        assert.equal((await store.cache.get("s", "long"))?.value, 2);
        for (let i = 0; i < 5; i++) {
          wall.now += 1;
          store.cache.set("bounded", `k${i}`, i, { maxEntries: 3 });
        }
        await store.commit();
        assert.equal(await store.cache.size("bounded"), 3);
        assert.equal(await store.cache.get("bounded", "k1"), undefined);
        assert.equal((await store.cache.get("bounded", "k4"))?.value, 4);
        // a rewrite makes a key the newest
        store.cache.set("bounded", "k2", "again", { maxEntries: 3 });
        store.cache.set("bounded", "k5", 5, { maxEntries: 3 });
        await store.commit();
        assert.equal((await store.cache.get("bounded", "k2"))?.value, "again");
        assert.equal(await store.cache.get("bounded", "k3"), undefined);
        assert.equal(await store.cache.delete("bounded", "k2"), 1);
        assert.equal(await store.cache.delete("bounded"), 2);
        assert.equal(await store.cache.size("bounded"), 0);
        await store.close();
      });
    });
  });
}
