import { describe, it } from "node:test";
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import { child, diagnosticsChannels, pipeline, workflow, type DiagnosticsMessages } from "../../src/index.js";

type Name = keyof DiagnosticsMessages;

/** Subscribes to `names` for the duration of `body`; returns what each received, in order. */
async function observe(names: readonly Name[], body: () => Promise<unknown>): Promise<Array<[Name, unknown]>> {
  const got: Array<[Name, unknown]> = [];
  const handlers = names.map((name) => [name, (message: unknown) => void got.push([name, message])] as const);
  for (const [name, h] of handlers) diagnostics_channel.subscribe(name, h);
  try {
    await body();
  } finally {
    for (const [name, h] of handlers) diagnostics_channel.unsubscribe(name, h);
  }
  return got;
}

describe("diagnostics_channel hooks", () => {
  it("every channel name is declared once, under weir:", () => {
    const names = Object.values(diagnosticsChannels);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^weir:/);
  });

  it("a pipeline run publishes start, each failed attempt (without the item) and end, with the run", async () => {
    let run: unknown;
    const got = await observe(["weir:run:start", "weir:stage:error", "weir:run:end"], async () => {
      const r = pipeline<number>("diag")
        .from([1, 2, 3])
        .map(
          (x) => {
            if (x === 2) throw new Error("two");
            return x;
          },
          { name: "check", onError: "dead-letter" },
        )
        .to(() => {})
        .run();
      run = r;
      await r;
    });
    assert.deepEqual(
      got.map(([n]) => n),
      ["weir:run:start", "weir:stage:error", "weir:run:end"],
    );
    const start = got[0]![1] as DiagnosticsMessages["weir:run:start"];
    assert.equal(start.pipeline, "diag");
    assert.equal(start.run, run, "the run object correlates start and end");
    const error = got[1]![1] as DiagnosticsMessages["weir:stage:error"];
    assert.equal(error.stage, "check");
    assert.equal(error.index, 1);
    assert.equal(error.action, "dead-letter");
    assert.equal((error.error as Error).message, "two");
    assert.ok(!("item" in error), "the item stays out");
    const end = got[2]![1] as DiagnosticsMessages["weir:run:end"];
    assert.equal(end.run, run);
    assert.equal(end.ok, true);
  });

  it("a failed run publishes run:end with ok false and its error", async () => {
    const got = await observe(["weir:run:end"], async () => {
      await assert.rejects(
        pipeline<number>("fails")
          .from([1])
          .map(() => {
            throw new Error("boom");
          })
          .to(() => {})
          .run(),
      );
    });
    const end = got[0]![1] as DiagnosticsMessages["weir:run:end"];
    assert.equal(end.ok, false);
    assert.match(String(end.error), /boom/);
  });

  it("without subscribers a run subscribes nothing to its events", async () => {
    const r = pipeline<number>("quiet")
      .from([1])
      .to(() => {})
      .run();
    const events = (r as unknown as { events: { listenerCount(type?: string): number } }).events;
    assert.equal(events.listenerCount(), 0);
    await r;
  });

  it("a workflow run publishes start, each task's end and end", async () => {
    const got = await observe(["weir:workflow:start", "weir:workflow:task:end", "weir:workflow:end"], async () => {
      await workflow("wf")
        .task("a", () => 1)
        .task("b", { after: ["a"] }, () => 2)
        .run();
    });
    assert.deepEqual(
      got.map(([n, m]) => (n === "weir:workflow:task:end" ? `${n} ${(m as { task: { name: string } }).task.name}` : n)),
      ["weir:workflow:start", "weir:workflow:task:end a", "weir:workflow:task:end b", "weir:workflow:end"],
    );
    const end = got.at(-1)![1] as DiagnosticsMessages["weir:workflow:end"];
    assert.equal(end.ok, true);
    assert.equal(end.run, (got[0]![1] as DiagnosticsMessages["weir:workflow:start"]).run);
  });

  it("a pool publishes each worker's start and exit (a crash included, with the batches it held)", async () => {
    const got = await observe(["weir:pool:worker:start", "weir:pool:worker:exit"], async () => {
      const stage = child(
        (x: number) => {
          if (x === 3) process.exit(7);
          return x;
        },
        { maxWorkers: 1 },
      );
      await pipeline<number>("pool")
        .from([1, 2, 3, 4])
        .map(stage, { onError: "skip" })
        .to(() => {})
        .run();
    });
    const starts = got
      .filter(([n]) => n === "weir:pool:worker:start")
      .map(([, m]) => m as DiagnosticsMessages["weir:pool:worker:start"]);
    const exits = got
      .filter(([n]) => n === "weir:pool:worker:exit")
      .map(([, m]) => m as DiagnosticsMessages["weir:pool:worker:exit"]);
    assert.ok(starts.length >= 2, `the crashed worker was replaced: ${starts.length} starts`);
    for (const s of starts) {
      assert.equal(s.context, "process");
      assert.equal(typeof s.pid, "number");
    }
    const crash = exits.find((e) => e.code === 7);
    assert.ok(crash !== undefined, `an exit with code 7 among ${JSON.stringify(exits)}`);
    assert.ok(crash.heldBatches >= 1);
    assert.ok(starts.some((s) => s.pid === crash.pid));
  });
});
